// The sgd solver under 1-4 ranks (docs/design.md §4, sgd): the item blocks
// go round the ring and come home, and an epoch is bitwise the epoch of a
// naive one-process reference that visits the same ratings in the order the
// schedule gives (rank after rank within a sub-epoch, round after round,
// cell after cell: the cells of a round and the ranks of a sub-epoch touch
// disjoint rows, so running them at once must not change a bit).
#include "dmf/solvers/sgd/sgd.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "dmf/model/init.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers::sgd {
namespace {

TEST(SgdRing, EveryItemBlockVisitsEveryRankAndComesHome) {
  const auto comm = dist::Comm::world();
  const int ranks = comm.size();
  // Uneven blocks, one of them empty: rank r owns 2r + (r == 1 ? 0 : 1) rows.
  std::vector<std::uint32_t> starts{0};
  for (int r = 0; r < ranks; ++r) {
    starts.push_back(starts.back() + static_cast<std::uint32_t>(2 * r + (r == 1 ? 0 : 1)));
  }
  constexpr int kK = 3;
  const auto value = [](std::uint32_t row, int column) {
    return static_cast<float>(row) * 10.0F + static_cast<float>(column);
  };
  const auto expect_block = [&](const ItemBlock& b, int index, bool state) {
    EXPECT_EQ(b.index, index);
    ASSERT_EQ(b.first_row, starts[static_cast<std::size_t>(index)]);
    ASSERT_EQ(b.rows, starts[static_cast<std::size_t>(index) + 1] - b.first_row);
    ASSERT_EQ(b.factors().size(), b.rows * kK);
    ASSERT_EQ(b.factor_state().size(), state ? b.rows * kK : 0U);
    ASSERT_EQ(b.bias_state().size(), state ? b.rows : 0U);
    for (std::uint32_t r = 0; r < b.rows; ++r) {
      for (int f = 0; f < kK; ++f) {
        EXPECT_EQ(b.factors()[r * kK + f], value(b.first_row + r, f));
        if (state) {
          EXPECT_EQ(b.factor_state()[r * kK + f], -value(b.first_row + r, f));
        }
      }
      EXPECT_EQ(b.bias()[r], value(b.first_row + r, -1));
      if (state) {
        EXPECT_EQ(b.bias_state()[r], -value(b.first_row + r, -1));
      }
    }
  };
  // Blocks with their sums go round in the shared window (the suite runs
  // every rank on one node) or as messages; blocks without, as messages.
  for (const auto& [with_state, shared] : {std::pair{true, true}, std::pair{true, false},
                                           std::pair{false, true}, std::pair{false, false}}) {
    ItemRing ring(comm, starts, kK, /*state_width=*/kK, shared);
    EXPECT_EQ(ring.shares_memory(), shared && ranks > 1);
    ItemBlock block = ring.empty_block(comm.rank(), with_state);
    for (std::uint32_t r = 0; r < block.rows; ++r) {
      for (int f = 0; f < kK; ++f) {
        block.factors()[r * kK + f] = value(block.first_row + r, f);
        if (with_state) block.factor_state()[r * kK + f] = -value(block.first_row + r, f);
      }
      block.bias()[r] = value(block.first_row + r, -1);
      if (with_state) block.bias_state()[r] = -value(block.first_row + r, -1);
    }
    for (int s = 1; s <= ranks; ++s) {
      SCOPED_TRACE(testing::Message()
                   << "after " << s << " moves, state " << with_state << ", shared " << shared);
      const std::uint64_t sent = ring.shift(block);
      EXPECT_EQ(sent == 0, ranks == 1 || (shared && with_state));
      expect_block(block, item_block_of(comm.rank(), s % ranks, ranks), with_state);
    }
  }
}

/// The model as flat float arrays in global row order, with adagrad sums
/// (per coordinate, and per row for adagrad-row).
struct FlatModel {
  int k = 0;
  float mu = 0.0F;
  std::vector<float> p, q, bu, bi, sp, sq, sbu, sbi, row_sp, row_sq;
};

FlatModel flat(const test::DenseModel& d) {
  FlatModel m;
  m.k = d.k;
  m.mu = static_cast<float>(d.mu);
  for (Eigen::Index r = 0; r < d.p.rows(); ++r) {
    for (int f = 0; f < d.k; ++f) m.p.push_back(static_cast<float>(d.p(r, f)));
    m.bu.push_back(static_cast<float>(d.bu[r]));
  }
  for (Eigen::Index r = 0; r < d.q.rows(); ++r) {
    for (int f = 0; f < d.k; ++f) m.q.push_back(static_cast<float>(d.q(r, f)));
    m.bi.push_back(static_cast<float>(d.bi[r]));
  }
  // Every adagrad sum starts at 1, as LIBMF's.
  m.sp.assign(m.p.size(), 1.0F);
  m.sq.assign(m.q.size(), 1.0F);
  m.sbu.assign(m.bu.size(), 1.0F);
  m.sbi.assign(m.bi.size(), 1.0F);
  m.row_sp.assign(m.bu.size(), 1.0F);
  m.row_sq.assign(m.bi.size(), 1.0F);
  return m;
}

/// One visit: global user, global item, rating.
using test::Triple;

/// The textbook step (docs/design.md §4, sgd), written out plainly, with
/// the solver's roundings: each a·b + c is one fused multiply-add.
void reference_step(FlatModel& m, const Triple& t, float cu, float ci, const SgdOptions& o,
                    float lr, model::Biases biases) {
  const auto k = static_cast<std::size_t>(m.k);
  const std::size_t pu = t.user * k;
  const std::size_t qi = t.item * k;
  // p · q in the kernel's order: entry f into partial sum f mod 8, then the
  // sums pairwise.
  float acc[8] = {};
  for (std::size_t f = 0; f < k; ++f) acc[f % 8] = std::fma(m.p[pu + f], m.q[qi + f], acc[f % 8]);
  const float dot =
      ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
  const float e = t.value - (m.mu + m.bu[t.user] + m.bi[t.item] + dot);
  const bool adagrad = o.rule != StepRule::kSgd;
  const auto eps = static_cast<float>(o.eps);
  const auto move = [&](float w, float g, float& s) {
    if (!adagrad) return std::fma(-lr, g, w);
    // The step by the sum before it, then the sum takes g².
    const float moved = w - lr * g / (std::sqrt(s) + eps);
    s = std::fma(g, g, s);
    return moved;
  };
  if (model::has_user_bias(biases)) {
    m.bu[t.user] = move(m.bu[t.user], std::fma(cu, m.bu[t.user], -e), m.sbu[t.user]);
  }
  if (model::has_item_bias(biases)) {
    m.bi[t.item] = move(m.bi[t.item], std::fma(ci, m.bi[t.item], -e), m.sbi[t.item]);
  }
  if (o.rule == StepRule::kAdagradRow) {
    // One sum per row: both rows move from their values before by the
    // sums before, then each sum takes the mean of the squared gradient
    // (its sum in the kernel's 8 partial sums).
    const float step_p = lr / (std::sqrt(m.row_sp[t.user]) + eps);
    const float step_q = lr / (std::sqrt(m.row_sq[t.item]) + eps);
    float sum_p[8] = {}, sum_q[8] = {};
    std::vector<float> gp(k), gq(k);
    for (std::size_t f = 0; f < k; ++f) {
      gp[f] = std::fma(cu, m.p[pu + f], -e * m.q[qi + f]);
      gq[f] = std::fma(ci, m.q[qi + f], -e * m.p[pu + f]);
      sum_p[f % 8] = std::fma(gp[f], gp[f], sum_p[f % 8]);
      sum_q[f % 8] = std::fma(gq[f], gq[f], sum_q[f % 8]);
    }
    for (std::size_t f = 0; f < k; ++f) {
      m.p[pu + f] = std::fma(-step_p, gp[f], m.p[pu + f]);
      m.q[qi + f] = std::fma(-step_q, gq[f], m.q[qi + f]);
    }
    const auto lanes = [](const float* a) {
      return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    };
    m.row_sp[t.user] += lanes(sum_p) / static_cast<float>(k);
    m.row_sq[t.item] += lanes(sum_q) / static_cast<float>(k);
    return;
  }
  for (std::size_t f = 0; f < k; ++f) {
    const float p = m.p[pu + f];
    const float q = m.q[qi + f];
    m.p[pu + f] = move(p, std::fma(cu, p, -e * q), m.sp[pu + f]);
    m.q[qi + f] = move(q, std::fma(ci, q, -e * p), m.sq[qi + f]);
  }
}

struct Case {
  StepRule rule;
  model::Biases biases;
  RegWeighting weighting;
  int threads;
  bool prefetch = false;      // every cell prefetches its rows ahead
  bool shared_memory = true;  // the ring in a shared window (else messages)
};

class SgdReference : public testing::TestWithParam<Case> {};

TEST_P(SgdReference, EpochsAreBitwiseTheNaiveStepsInTheScheduledOrder) {
  const auto comm = dist::Comm::world();
  const Case c = GetParam();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(40, 30, 0.4)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 11, c.biases, 3, 0.5);
  const auto ratings = test::gather_ratings(comm, data.by_user);
  FlatModel want = flat(test::gather_model(comm, model));

  SgdOptions options;
  options.regularization = {0.3, 0.1, c.weighting};
  options.rule = c.rule;
  options.learning_rate = c.rule == StepRule::kSgd ? 0.05 : 0.1;
  options.schedule.kind = ScheduleKind::kInv;
  options.seed = 11;
  options.threads = c.threads;
  if (c.prefetch) options.prefetch_above = 0;
  options.shared_memory = c.shared_memory;
  SgdSolver solver(comm, data, model, options);

  // c = λ w / n, n over every rank.
  std::vector<std::uint64_t> nu(want.bu.size(), 0), ni(want.bi.size(), 0);
  for (const auto& t : ratings) {
    ++nu[t.user];
    ++ni[t.item];
  }
  const auto spread = [&](double lambda, std::uint64_t n) {
    const double w = c.weighting == RegWeighting::kCount ? static_cast<double>(n) : 1.0;
    return n == 0 ? 0.0F : static_cast<float>(lambda * w / static_cast<double>(n));
  };
  auto item_starts = comm.allgather<std::uint32_t>(model.items.first_row);
  item_starts.push_back(model.items.total_rows);

  const BlockGrid& grid = solver.grid();
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    SCOPED_TRACE(testing::Message() << "epoch " << epoch);
    const auto lr = static_cast<float>(
        options.schedule.rate(options.learning_rate, static_cast<double>(epoch)));
    // What the schedule says each rank visits in each sub-epoch, gathered.
    for (int s = 0; s < comm.size(); ++s) {
      const int block = item_block_of(comm.rank(), s, comm.size());
      std::vector<Triple> mine;
      for (const auto& round : cell_rounds(grid.cells(), options.seed, epoch, comm.rank(), block)) {
        for (const Cell cell : round) {
          for (const GridRating& r : grid.cell(block, cell)) {
            mine.push_back({model.users.first_row + r.user,
                            item_starts[static_cast<std::size_t>(block)] + r.item, r.value});
          }
        }
      }
      for (const Triple& t : comm.allgatherv<Triple>(mine)) {
        reference_step(want, t, spread(0.3, nu[t.user]), spread(0.1, ni[t.item]), options, lr,
                       c.biases);
      }
    }
    static_cast<void>(solver.epoch());
    const FlatModel got = flat(test::gather_model(comm, model));
    EXPECT_EQ(got.p, want.p);
    EXPECT_EQ(got.q, want.q);
    EXPECT_EQ(got.bu, want.bu);
    EXPECT_EQ(got.bi, want.bi);
  }
}

TEST(Sgd, OneToFourThreadsGiveTheSameBits) {
  // The grid has 8 cells a side up to 4 threads (grid_cells), and the
  // cells of a round touch disjoint rows: the thread count cannot show.
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(50, 40, 0.3)),
                                       data::LoadOptions{});
  std::vector<test::DenseModel> models;
  for (const int threads : {1, 2, 4}) {
    model::Model model = model::init_model(comm, data, 6, model::Biases::kBoth, 3, 0.5);
    SgdOptions options;
    options.threads = threads;
    SgdSolver solver(comm, data, model, options);
    EXPECT_EQ(solver.grid().cells(), 8);
    for (int e = 0; e < 3; ++e) static_cast<void>(solver.epoch());
    models.push_back(test::gather_model(comm, model));
  }
  for (std::size_t m = 1; m < models.size(); ++m) {
    EXPECT_TRUE(models[m].p == models[0].p && models[m].q == models[0].q &&
                models[m].bu == models[0].bu && models[m].bi == models[0].bi)
        << "model " << m;
  }
}

TEST(Sgd, TheObjectiveAfterAnEpochTakesTheLastSubEpochsResidualsAndNoFullTurn) {
  // The epoch takes the residuals of the block each rank held last before
  // it goes home, and that block's item penalty, so the objective's view of
  // the blocks turns P − 2 times (none at 1 or 2 ranks) instead of P; the
  // objective is the bits of one computed afresh, and its penalty the
  // model's.
  const auto comm = dist::Comm::world();
  const int ranks = comm.size();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(50, 40, 0.3)),
                                       data::LoadOptions{});
  constexpr int kK = 5;
  for (const auto& [rule, shared] :
       {std::pair{StepRule::kAdagradRow, false}, std::pair{StepRule::kAdagrad, false},
        std::pair{StepRule::kSgd, false}, std::pair{StepRule::kAdagradRow, true},
        std::pair{StepRule::kSgd, true}}) {
    SCOPED_TRACE(testing::Message() << "rule " << to_string(rule) << ", shared " << shared);
    model::Model model = model::init_model(comm, data, kK, model::Biases::kBoth, 6, 0.5);
    SgdOptions options;
    options.rule = rule;
    options.shared_memory = shared;
    SgdSolver solver(comm, data, model, options);
    auto starts = comm.allgather<std::uint32_t>(model.items.first_row);
    starts.push_back(model.items.total_rows);
    const auto rows = [&](int block) {
      const auto b = static_cast<std::size_t>((comm.rank() + block) % ranks);
      return static_cast<std::uint64_t>(starts[b + 1] - starts[b]);
    };
    // Each block once with its sums, then the view: blocks rank .. rank +
    // P − 3 (as messages; in the shared window nothing moves).
    const auto state = static_cast<std::uint64_t>(factor_state_width(rule, kK));
    std::uint64_t want = 0;
    for (int b = 0; ranks > 1 && !shared && b < ranks; ++b) {
      want += rows(b) * (kK + 1 + (state > 0 ? state + 1 : 0)) * sizeof(float);
    }
    for (int b = 0; !shared && b + 2 < ranks; ++b) want += rows(b) * (kK + 1) * sizeof(float);
    EXPECT_EQ(solver.report().at("item_ring"), shared && ranks > 1 ? "shared-memory" : "messages");
    for (int e = 0; e < 2; ++e) {
      const Objective after = solver.epoch();
      EXPECT_EQ(solver.traffic_per_epoch().bytes_sent, want);
      const Objective fresh = solver.objective();
      EXPECT_EQ(after.squared_error, fresh.squared_error);
      EXPECT_EQ(after.regularization, fresh.regularization);
      // The item penalties, summed by the rank before each block's owner,
      // are the model's: one rank sums them as the owners would.
      const Objective owners =
          total_objective(comm, 0.0, model, data, options.regularization, fresh.ratings);
      ASSERT_GT(owners.regularization, 0.0);
      if (ranks == 1) {
        EXPECT_EQ(fresh.regularization, owners.regularization);
      } else {
        EXPECT_NEAR(fresh.regularization, owners.regularization, 1e-12 * owners.regularization);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SgdReference,
    testing::Values(Case{StepRule::kAdagrad, model::Biases::kBoth, RegWeighting::kCount, 1},
                    Case{StepRule::kSgd, model::Biases::kUser, RegWeighting::kUniform, 1},
                    Case{StepRule::kAdagrad, model::Biases::kItem, RegWeighting::kUniform, 2},
                    Case{StepRule::kSgd, model::Biases::kNone, RegWeighting::kCount, 3},
                    Case{StepRule::kAdagradRow, model::Biases::kBoth, RegWeighting::kCount, 2},
                    Case{StepRule::kAdagradRow, model::Biases::kUser, RegWeighting::kUniform, 1},
                    Case{StepRule::kAdagradRow, model::Biases::kBoth, RegWeighting::kCount, 2,
                         true},
                    Case{StepRule::kAdagradRow, model::Biases::kBoth, RegWeighting::kCount, 1,
                         false, /*shared_memory=*/false},
                    Case{StepRule::kAdagrad, model::Biases::kBoth, RegWeighting::kUniform, 2, false,
                         /*shared_memory=*/false}));

}  // namespace
}  // namespace dmf::solvers::sgd
