// The gd solver against an independent reference written plainly here: one
// process, double precision, full-batch steps with each row's gradient
// summed rating by rating from the objective of docs/design.md §2. Run at 1-4
// ranks: full batch must agree with it (so with every other rank count);
// mini-batches must repeat exactly at a fixed layout and thread count.
#include "dmf/solvers/gd/gd.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "dmf/core/error.hpp"
#include "dmf/dist/row_allreduce.hpp"
#include "dmf/model/init.hpp"
#include "dmf/solvers/gd/epoch_plan.hpp"
#include "dmf/train/trainer.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers {
namespace {

using model::Biases;
using test::DenseModel;
using test::Triple;

/// Per row of one side, its state for the reference optimizer.
struct ReferenceRows {
  Eigen::MatrixXd s0, s1;  // factor state
  Eigen::VectorXd b0, b1;  // bias state
  std::vector<std::uint64_t> steps;
  ReferenceRows(Eigen::Index rows, Eigen::Index k)
      : s0(Eigen::MatrixXd::Zero(rows, k)),
        s1(Eigen::MatrixXd::Zero(rows, k)),
        b0(Eigen::VectorXd::Zero(rows)),
        b1(Eigen::VectorXd::Zero(rows)),
        steps(static_cast<std::size_t>(rows), 0) {}
};

/// One full-batch step of the reference: every rating's residual with the
/// current model, then every row moved along its gradient divided by its
/// rating count, both sides from the same model.
void reference_step(const std::vector<Triple>& ratings, const Regularization& reg, Biases biases,
                    const Optimizer& opt, double lr, DenseModel& d, ReferenceRows& user_state,
                    ReferenceRows& item_state) {
  const Eigen::Index k = d.k;
  Eigen::MatrixXd gp = Eigen::MatrixXd::Zero(d.p.rows(), k);
  Eigen::MatrixXd gq = Eigen::MatrixXd::Zero(d.q.rows(), k);
  Eigen::VectorXd gbu = Eigen::VectorXd::Zero(d.p.rows());
  Eigen::VectorXd gbi = Eigen::VectorXd::Zero(d.q.rows());
  std::map<std::uint32_t, double> nu, ni;
  for (const auto& t : ratings) {
    const double e =
        t.value - (d.mu + d.bu[t.user] + d.bi[t.item] + d.p.row(t.user).dot(d.q.row(t.item)));
    gp.row(t.user) += -2.0 * e * d.q.row(t.item);
    gq.row(t.item) += -2.0 * e * d.p.row(t.user);
    gbu[t.user] += -2.0 * e;
    gbi[t.item] += -2.0 * e;
    nu[t.user] += 1;
    ni[t.item] += 1;
  }
  const auto update = [&](Eigen::MatrixXd& w, Eigen::VectorXd& b, Eigen::MatrixXd& g,
                          Eigen::VectorXd& gb, std::map<std::uint32_t, double>& n, double lambda,
                          bool with_bias, ReferenceRows& state) {
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      const double count = n[static_cast<std::uint32_t>(r)];
      if (count == 0) continue;
      const double weight = reg.weighting == RegWeighting::kCount ? count : 1.0;
      // ∂L/∂w = Σ −2 e x + 2 λ w_row w, divided by the row's count.
      Eigen::VectorXd grad =
          (g.row(r).transpose() + 2.0 * lambda * weight * w.row(r).transpose()) / count;
      Eigen::VectorXd row = w.row(r).transpose();
      Eigen::VectorXd s0 = state.s0.row(r).transpose();
      Eigen::VectorXd s1 = state.s1.row(r).transpose();
      const std::uint64_t t = ++state.steps[static_cast<std::size_t>(r)];
      opt.step<double, double>(std::span(row.data(), k), std::span<const double>(grad.data(), k),
                               std::span(s0.data(), k), std::span(s1.data(), k), lr, t);
      w.row(r) = row.transpose();
      state.s0.row(r) = s0.transpose();
      state.s1.row(r) = s1.transpose();
      if (!with_bias) continue;
      double bias = b[r];
      const double gbias = (gb[r] + 2.0 * lambda * weight * b[r]) / count;
      opt.step<double, double>(std::span(&bias, 1), std::span(&gbias, 1),
                               std::span(&state.b0[r], 1), std::span(&state.b1[r], 1), lr, t);
      b[r] = bias;
    }
  };
  DenseModel before = d;
  update(d.p, d.bu, gp, gbu, nu, reg.lambda_user, model::has_user_bias(biases), user_state);
  update(d.q, d.bi, gq, gbi, ni, reg.lambda_item, model::has_item_bias(biases), item_state);
}

struct Case {
  OptimizerKind optimizer;
  Biases biases;
  RegWeighting weighting;
  double lr;
};

class GdReference : public testing::TestWithParam<Case> {};

TEST_P(GdReference, FullBatchMatchesNaiveDoublePrecisionSteps) {
  const auto comm = dist::Comm::world();
  const Case c = GetParam();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(40, 30, 0.4)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 4, c.biases, 3, 0.5);
  const auto ratings = test::gather_ratings(comm, data.by_user);
  DenseModel want = test::gather_model(comm, model);
  ReferenceRows user_state(want.p.rows(), want.k), item_state(want.q.rows(), want.k);

  GdOptions options;
  options.regularization = {0.3, 0.1, c.weighting};
  options.optimizer.kind = c.optimizer;
  options.learning_rate = c.lr;
  options.batch_size = 0;
  options.threads = 2;
  GdSolver solver(comm, data, model, options);
  EXPECT_EQ(solver.steps_per_epoch(), 1U);
  const Optimizer reference(options.optimizer);
  for (int epoch = 1; epoch <= 5; ++epoch) {
    const Objective after = solver.epoch();
    reference_step(ratings, options.regularization, c.biases, reference, c.lr, want, user_state,
                   item_state);
    SCOPED_TRACE(testing::Message() << "epoch " << epoch);
    const DenseModel got = test::gather_model(comm, model);
    test::expect_near(got.p, want.p, 1e-4, "user factors");
    test::expect_near(got.q, want.q, 1e-4, "item factors");
    test::expect_near(got.bu, want.bu, 1e-4, "user biases");
    test::expect_near(got.bi, want.bi, 1e-4, "item biases");
    const double objective = test::reference_objective(ratings, options.regularization, want);
    EXPECT_NEAR(after.value(), objective, 1e-5 * objective);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Optimizers, GdReference,
    testing::Values(Case{OptimizerKind::kSgd, Biases::kBoth, RegWeighting::kCount, 0.1},
                    Case{OptimizerKind::kNesterov, Biases::kUser, RegWeighting::kUniform, 0.02},
                    Case{OptimizerKind::kAdagradAvg, Biases::kItem, RegWeighting::kCount, 0.05},
                    Case{OptimizerKind::kRmsprop, Biases::kNone, RegWeighting::kUniform, 0.01},
                    Case{OptimizerKind::kAdam, Biases::kBoth, RegWeighting::kUniform, 0.05}));

/// The model after `epochs` epochs of mini-batch gd from a fresh start.
DenseModel train(const dist::Comm& comm, const data::RatingsData& data, GdOptions options,
                 int epochs, int k = 5) {
  model::Model model = model::init_model(comm, data, k, Biases::kBoth, 7, 0.3);
  GdSolver solver(comm, data, model, options);
  for (int e = 0; e < epochs; ++e) static_cast<void>(solver.epoch());
  return test::gather_model(comm, model);
}

void expect_identical(const DenseModel& a, const DenseModel& b) {
  EXPECT_TRUE(a.p == b.p && a.q == b.q && a.bu == b.bu && a.bi == b.bi);
}

TEST(Gd, MiniBatchesRepeatExactlyAtAFixedLayoutAndAnyThreadCount) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(60, 40, 0.3)),
                                       data::LoadOptions{});
  for (const auto kind : {OptimizerKind::kSgd, OptimizerKind::kAdam}) {
    SCOPED_TRACE(std::string(to_string(kind)));
    GdOptions options;
    options.optimizer.kind = kind;
    options.batch_size = 50;
    options.seed = 4;
    options.threads = 1;
    const DenseModel once = train(comm, data, options, 3);
    const DenseModel again = train(comm, data, options, 3);
    expect_identical(once, again);
    options.threads = 2;
    options.work_per_thread = 1;  // every step on both threads
    expect_identical(once, train(comm, data, options, 3));
    // Another seed samples other batches: a different model.
    options.seed = 5;
    const DenseModel other = train(comm, data, options, 3);
    EXPECT_GT((other.p - once.p).cwiseAbs().maxCoeff(), 1e-4);
  }
}

TEST(Gd, FullBatchIsTheSameBitsOnOneThreadAndTwoAndAfterARestore) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto sparse = data::load_ratings(
      comm, dir.write("r.csv", test::random_ratings(60, 40, 0.3)), data::LoadOptions{});
  // Every user rates every item: the one-thread pass runs users with the
  // same items in groups (solvers/gd/user_pass), 16 consecutive items at a
  // time.
  const auto dense = data::load_ratings(comm, dir.write("d.csv", test::random_ratings(23, 37, 1.0)),
                                        data::LoadOptions{});
  // k = 10 and 32 run the one-thread step's kernels of those widths, 5 its
  // general one.
  for (const auto& [kind, k, full] :
       {std::tuple(OptimizerKind::kSgd, 10, false), std::tuple(OptimizerKind::kSgd, 32, false),
        std::tuple(OptimizerKind::kAdam, 5, false), std::tuple(OptimizerKind::kSgd, 10, true),
        std::tuple(OptimizerKind::kAdam, 13, true)}) {
    SCOPED_TRACE(testing::Message() << to_string(kind) << " k " << k << (full ? " dense" : ""));
    const data::RatingsData& data = full ? dense : sparse;
    GdOptions options;
    options.optimizer.kind = kind;
    options.batch_size = 0;
    options.threads = 1;  // one pass per step, reusing the objective's residuals
    const DenseModel once = train(comm, data, options, 3, k);
    options.threads = 2;
    options.work_per_thread = 1;  // the parallel step, which computes them afresh
    expect_identical(once, train(comm, data, options, 3, k));
    // A restored state is not the one whose residuals the last objective
    // left: two epochs, back to the state after the first, two more.
    options.threads = 1;
    model::Model model = model::init_model(comm, data, k, Biases::kBoth, 7, 0.3);
    GdSolver solver(comm, data, model, options);
    static_cast<void>(solver.epoch());
    const auto after_one = solver.snapshot();
    static_cast<void>(solver.epoch());
    static_cast<void>(solver.epoch());
    solver.restore(*after_one);
    static_cast<void>(solver.epoch());
    static_cast<void>(solver.epoch());
    expect_identical(once, test::gather_model(comm, model));
  }
}

TEST(Gd, ItemsOutOfOrderOnOneRankAreAnErrorOnEveryRank) {
  // The full-batch pass reads a user's items as strictly ascending; a block
  // that broke it on rank 0 only must stop every rank, not leave the others
  // waiting in a collective.
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(20, 10, 0.6)),
                                 data::LoadOptions{});
  data::SparseBlock& csr = data.by_user;
  if (comm.rank() == 0) {
    for (std::uint32_t u = 0; u < csr.rows(); ++u) {
      if (csr.degree(u) < 2) continue;
      std::swap(csr.columns[csr.offsets[u]], csr.columns[csr.offsets[u] + 1]);
      break;
    }
  }
  model::Model model = model::init_model(comm, data, 3, Biases::kBoth, 2, 0.5);
  try {
    GdSolver solver(comm, data, model, GdOptions{});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in ascending item order"), std::string::npos)
        << e.what();
  }
}

TEST(GdPlan, EveryRatingIsInOneBatchReadInBothSumOrders) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(60, 40, 0.3)),
                                       data::LoadOptions{});
  const data::SparseBlock& csr = data.by_user;
  const auto row_of = csr.row_of_entries();
  const std::uint64_t n = csr.nnz();
  const auto rank = static_cast<std::uint64_t>(comm.rank());
  for (const std::uint64_t steps : {std::uint64_t{1}, std::uint64_t{7}, n + 3}) {
    SCOPED_TRACE(steps);
    const auto step_of = deal_to_steps(n, steps, 4, 2, rank);
    // A pure function of (seed, epoch, rank); another epoch deals otherwise.
    EXPECT_EQ(step_of, deal_to_steps(n, steps, 4, 2, rank));
    if (steps == 7) {
      EXPECT_NE(step_of, deal_to_steps(n, steps, 4, 3, rank));
    }
    // Any thread count lays out the same plan.
    const EpochPlan plan = plan_epoch(step_of, steps, row_of, csr.columns, csr.values, 40, 1);
    const EpochPlan threaded = plan_epoch(step_of, steps, row_of, csr.columns, csr.values, 40, 3);
    EXPECT_TRUE(plan.users == threaded.users && plan.by_item == threaded.by_item &&
                plan.user_groups == threaded.user_groups &&
                plan.item_groups == threaded.item_groups);
    ASSERT_EQ(plan.steps(), steps);
    // Each step's ratings, as (user, item, value) in the step's order, are the
    // CSR positions dealt to it, in position order.
    std::vector<std::vector<std::uint64_t>> dealt(steps);
    for (std::uint64_t pos = 0; pos < n; ++pos) dealt[step_of[pos]].push_back(pos);
    for (std::uint64_t s = 0; s < steps; ++s) {
      const std::size_t size = plan.step_size(s);
      // Steps of (nearly) equal size.
      EXPECT_LE(size, (n + steps - 1) / steps);
      EXPECT_GE(size, n / steps);
      ASSERT_EQ(size, dealt[s].size());
      const auto users = plan.slice(plan.users, s);
      const auto items = plan.slice(plan.items, s);
      const auto values = plan.slice(plan.values, s);
      for (std::size_t j = 0; j < size; ++j) {
        const std::uint64_t pos = dealt[s][j];
        EXPECT_TRUE(users[j] == row_of[pos] && items[j] == csr.columns[pos] &&
                    values[j] == csr.values[pos]);
      }
      // by_item: the same places ordered by (item, place).
      const auto by_item = plan.slice(plan.by_item, s);
      std::vector<std::pair<std::uint32_t, std::uint32_t>> got, want;
      for (const auto j : by_item) got.emplace_back(items[j], j);
      for (std::uint32_t j = 0; j < size; ++j) want.emplace_back(items[j], j);
      std::ranges::sort(want);
      EXPECT_EQ(got, want);
      // The groups: one per run of a user (an item), ending at the step's size.
      const auto user_groups = plan.step_user_groups(s);
      const auto item_groups = plan.step_item_groups(s);
      EXPECT_EQ(user_groups.back(), size);
      EXPECT_EQ(item_groups.back(), size);
      std::set<std::uint32_t> user_rows, item_rows;
      for (std::size_t g = 0; g + 1 < user_groups.size(); ++g) {
        ASSERT_LT(user_groups[g], user_groups[g + 1]);
        const std::uint32_t u = users[user_groups[g]];
        EXPECT_TRUE(user_rows.insert(u).second);
        for (auto j = user_groups[g]; j < user_groups[g + 1]; ++j) EXPECT_EQ(users[j], u);
      }
      for (std::size_t h = 0; h + 1 < item_groups.size(); ++h) {
        ASSERT_LT(item_groups[h], item_groups[h + 1]);
        const std::uint32_t i = items[by_item[item_groups[h]]];
        EXPECT_TRUE(item_rows.insert(i).second);
        for (auto j = item_groups[h]; j < item_groups[h + 1]; ++j) {
          EXPECT_EQ(items[by_item[j]], i);
        }
      }
    }
  }
}

TEST(Gd, SparseAndDenseItemSumsGiveTheSameSteps) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(60, 40, 0.3)),
                                       data::LoadOptions{});
  GdOptions options;
  options.optimizer.kind = OptimizerKind::kAdagrad;
  options.batch_size = 30;
  options.sparse = dist::SparseMode::kOn;
  const DenseModel sparse = train(comm, data, options, 2);
  options.sparse = dist::SparseMode::kOff;
  const DenseModel dense = train(comm, data, options, 2);
  // Both add each row's values in rank order: the same bits at any rank
  // count, so `auto` changes only the time (docs/design.md §4, gd).
  EXPECT_TRUE(sparse.p == dense.p && sparse.q == dense.q) << "factors differ";
  EXPECT_TRUE(sparse.bu == dense.bu && sparse.bi == dense.bi) << "biases differ";
}

TEST(Gd, DenseAndSparseItemSumsAreTheSameBits) {
  // Values of every magnitude, so that another order of the additions over
  // ranks (MPI_Allreduce's beyond two ranks) would change last bits.
  const auto comm = dist::Comm::world();
  constexpr std::uint32_t kRows = 3000;
  constexpr std::size_t kWidth = 12;
  std::mt19937_64 random(7U + static_cast<unsigned>(comm.rank()));
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<std::uint32_t> rows;
  std::vector<double> values;
  for (std::uint32_t r = 0; r < kRows; ++r) {
    if ((r + static_cast<std::uint32_t>(comm.rank())) % 5 == 0) continue;
    rows.push_back(r);
    for (std::size_t c = 0; c + 1 < kWidth; ++c) {
      values.push_back(uniform(random) *
                       std::ldexp(1.0, 9 * comm.rank() - static_cast<int>(c % 4) * 5));
    }
    values.push_back(1.0 + comm.rank());  // the last column: a count
  }
  dist::RowAllreduce dense(kRows, kWidth, dist::SparseMode::kOff);
  dist::RowAllreduce sparse(kRows, kWidth, dist::SparseMode::kOn);
  dense.reduce(comm, rows, values);
  sparse.reduce(comm, rows, values);
  ASSERT_TRUE(std::ranges::equal(dense.touched(), sparse.touched()));
  std::size_t differing = 0;
  for (const auto r : dense.touched()) {
    if (!std::ranges::equal(dense.row(r), sparse.row(r))) ++differing;
  }
  EXPECT_EQ(differing, 0U) << "of " << dense.touched().size() << " rows";
}

TEST(Gd, AutoItemSumGoesSparseUpToTheMeasuredCrossover) {
  // docs/design.md §4, gd: sparse while the touched rows' bytes, with their
  // index, are at most a ring allreduce's; at two ranks and k = 10 (rows of
  // 12 doubles) each rank may touch 48% of the rows, at three the total may
  // be 4/3 of that.
  const dist::RowAllreduce sums(10000, 12, dist::SparseMode::kAuto);
  const std::vector<std::uint64_t> under{4800, 4800};
  const std::vector<std::uint64_t> over{4801, 4800};
  EXPECT_TRUE(sums.goes_sparse(under, 2));
  EXPECT_FALSE(sums.goes_sparse(over, 2));
  const std::vector<std::uint64_t> three{4266, 4266, 4267};  // 12799 rows
  EXPECT_TRUE(sums.goes_sparse(three, 3));
  EXPECT_FALSE(sums.goes_sparse(std::vector<std::uint64_t>{4266, 4266, 4269}, 3));
  EXPECT_TRUE(dist::RowAllreduce(10000, 12, dist::SparseMode::kOn).goes_sparse(over, 2));
  EXPECT_FALSE(dist::RowAllreduce(10000, 12, dist::SparseMode::kOff).goes_sparse(under, 2));
}

TEST(Gd, GradientNormIsThatOfTheObjective) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(30, 20, 0.5)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 3, Biases::kBoth, 2, 0.5);
  GdOptions options;
  options.regularization = {0.2, 0.4, RegWeighting::kCount};
  GdSolver solver(comm, data, model, options);
  const auto ratings = test::gather_ratings(comm, data.by_user);
  const DenseModel d = test::gather_model(comm, model);
  Eigen::MatrixXd gp = Eigen::MatrixXd::Zero(d.p.rows(), d.k + 1);
  Eigen::MatrixXd gq = Eigen::MatrixXd::Zero(d.q.rows(), d.k + 1);
  std::map<std::uint32_t, double> nu, ni;
  for (const auto& t : ratings) {
    const double e =
        t.value - (d.mu + d.bu[t.user] + d.bi[t.item] + d.p.row(t.user).dot(d.q.row(t.item)));
    gp.row(t.user).head(d.k) += -2.0 * e * d.q.row(t.item);
    gq.row(t.item).head(d.k) += -2.0 * e * d.p.row(t.user);
    gp(t.user, d.k) += -2.0 * e;
    gq(t.item, d.k) += -2.0 * e;
    nu[t.user] += 1;
    ni[t.item] += 1;
  }
  for (Eigen::Index u = 0; u < d.p.rows(); ++u) {
    gp.row(u).head(d.k) += 2.0 * 0.2 * nu[static_cast<std::uint32_t>(u)] * d.p.row(u);
    gp(u, d.k) += 2.0 * 0.2 * nu[static_cast<std::uint32_t>(u)] * d.bu[u];
  }
  for (Eigen::Index i = 0; i < d.q.rows(); ++i) {
    gq.row(i).head(d.k) += 2.0 * 0.4 * ni[static_cast<std::uint32_t>(i)] * d.q.row(i);
    gq(i, d.k) += 2.0 * 0.4 * ni[static_cast<std::uint32_t>(i)] * d.bi[i];
  }
  const double want =
      std::sqrt(gp.squaredNorm() + gq.squaredNorm()) / static_cast<double>(ratings.size());
  const auto got = solver.gradient_norm();
  ASSERT_TRUE(got.has_value());
  EXPECT_NEAR(*got, want, 1e-5 * want);
}

TEST(Gd, DivergenceHalvesTheLearningRateThenGivesUp) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(30, 20, 0.5)),
                                       data::LoadOptions{});
  const auto run = [&](double lr) {
    model::Model model = model::init_model(comm, data, 3, Biases::kBoth, 2, 0.5);
    GdOptions options;
    options.optimizer.kind = OptimizerKind::kSgd;
    options.learning_rate = lr;
    options.batch_size = 0;
    GdSolver solver(comm, data, model, options);
    train::LoopOptions loop;
    loop.epochs = 8;
    const auto result = train::run_epochs(comm, solver, model, nullptr, loop, {});
    return std::pair(result, solver.objective());
  };
  // Full-batch sgd on −∇L/n is stable below a rate of about 1: at 6 it
  // blows up, and a few halvings bring it under.
  const auto [result, objective] = run(6.0);
  EXPECT_GE(result.backoffs, 1);
  EXPECT_LE(result.backoffs, 5);
  EXPECT_EQ(result.history.size(), 8U);
  EXPECT_TRUE(std::isfinite(objective.value()));
  EXPECT_LT(objective.value(), result.history.front().objective * 1.0001);
  // At 1e6 no five halvings suffice.
  try {
    static_cast<void>(run(1e6));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dmf::solvers
