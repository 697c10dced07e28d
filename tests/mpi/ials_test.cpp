// Implicit-feedback ALS against references written plainly here, under 1-4
// ranks and 1-2 threads:
// - a naive dense one: one process, double precision, the confidence and
//   preference matrices written out over all user-item pairs, each row's
//   normal equations summed over every pair and solved with Eigen; the
//   solver's rows must agree with it to 1e-4 (they are stored in float);
// - a replay in one process of the solver's own kernels (the Gram matrix of
//   all rows, each row's solve), which the distributed run must equal bit
//   for bit whatever the ranks and threads.
#include "dmf/solvers/ials/ials.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include <Eigen/Dense>

#include "dmf/core/rng.hpp"
#include "dmf/model/init.hpp"
#include "dmf/solvers/ials/exact_gram.hpp"
#include "dmf/solvers/ials/implicit_row.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers {
namespace {

using test::DenseModel;
using test::Triple;

constexpr int kRank = 4;

/// `users` × `items` observations: counts 1-9 mostly, some 0 and negative
/// (a preference 0 held with confidence), every user and item seen.
std::string random_counts(std::uint32_t users, std::uint32_t items, double density) {
  Rng rng(5);
  std::string text;
  for (std::uint32_t u = 0; u < users; ++u) {
    for (std::uint32_t i = 0; i < items; ++i) {
      if (rng.uniform() < density || i == u % items || u == i % users) {
        const int value = rng.uniform() < 0.1 ? -static_cast<int>(rng.below(3))
                                              : 1 + static_cast<int>(rng.below(9));
        text += fmt::format("u{},{},{}\n", u, i + 100, value);
      }
    }
  }
  return text;
}

struct Settings {
  ConfidenceScale scale = ConfidenceScale::kLinear;
  double alpha = 2.0;
  double epsilon = 1.0;
  RegWeighting weighting = RegWeighting::kCount;
  double lambda_user = 0.2;
  double lambda_item = 0.1;

  [[nodiscard]] IalsOptions options(int threads, AlsSolve solve, int cg_steps = 3) const {
    return {
        {lambda_user, lambda_item, weighting}, threads, solve, cg_steps, {alpha, scale, epsilon}};
  }
};

/// The confidence and preference of every pair, written out (rows × others).
struct Dense {
  Eigen::MatrixXd c, p;
  Eigen::VectorXd n;  // observations per row
};

Dense dense_pairs(const std::vector<Triple>& ratings, bool by_user, Eigen::Index rows,
                  Eigen::Index others, const Settings& s) {
  Dense d{Eigen::MatrixXd::Ones(rows, others), Eigen::MatrixXd::Zero(rows, others),
          Eigen::VectorXd::Zero(rows)};
  for (const auto& t : ratings) {
    const Eigen::Index r = by_user ? t.user : t.item;
    const Eigen::Index o = by_user ? t.item : t.user;
    const double magnitude = std::abs(static_cast<double>(t.value));
    d.c(r, o) = s.scale == ConfidenceScale::kLinear
                    ? 1.0 + s.alpha * magnitude
                    : 1.0 + s.alpha * std::log(1.0 + magnitude / s.epsilon);
    d.p(r, o) = t.value > 0 ? 1.0 : 0.0;
    d.n[r] += 1;
  }
  return d;
}

double weight(const Settings& s, double n) { return s.weighting == RegWeighting::kCount ? n : 1.0; }

/// One reference half-sweep: every row of `rows` solved given `others` over
/// all pairs.
void reference_half(const std::vector<Triple>& ratings, bool by_user, const Settings& s,
                    Eigen::MatrixXd& rows, const Eigen::MatrixXd& others) {
  const Dense d = dense_pairs(ratings, by_user, rows.rows(), others.rows(), s);
  const double lambda = by_user ? s.lambda_user : s.lambda_item;
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    Eigen::MatrixXd a = lambda * weight(s, d.n[r]) * Eigen::MatrixXd::Identity(kRank, kRank);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(kRank);
    for (Eigen::Index o = 0; o < others.rows(); ++o) {
      const Eigen::VectorXd y = others.row(o).transpose();
      a += d.c(r, o) * y * y.transpose();
      b += d.c(r, o) * d.p(r, o) * y;
    }
    rows.row(r) = a.ldlt().solve(b).transpose();
  }
}

/// Σ_all c (p − p_u·q_i)² + λ_u Σ w_u ‖p_u‖² + λ_i Σ w_i ‖q_i‖², term by term.
double reference_loss(const std::vector<Triple>& ratings, const Settings& s, const DenseModel& m) {
  const Dense d = dense_pairs(ratings, true, m.p.rows(), m.q.rows(), s);
  const Dense items = dense_pairs(ratings, false, m.q.rows(), m.p.rows(), s);
  double sum = 0.0;
  for (Eigen::Index u = 0; u < m.p.rows(); ++u) {
    for (Eigen::Index i = 0; i < m.q.rows(); ++i) {
      const double miss = d.p(u, i) - m.p.row(u).dot(m.q.row(i));
      sum += d.c(u, i) * miss * miss;
    }
    sum += s.lambda_user * weight(s, d.n[u]) * m.p.row(u).squaredNorm();
  }
  for (Eigen::Index i = 0; i < m.q.rows(); ++i) {
    sum += s.lambda_item * weight(s, items.n[i]) * m.q.row(i).squaredNorm();
  }
  return sum;
}

struct Problem {
  dist::Comm comm = dist::Comm::world();
  test::TempDir dir{comm};
  data::RatingsData data;
  model::Model model;
  std::vector<Triple> ratings;

  explicit Problem(std::uint64_t seed, std::uint32_t users = 30, std::uint32_t items = 20)
      : data(data::load_ratings(comm, dir.write("r.csv", random_counts(users, items, 0.2)),
                                data::LoadOptions{})),
        model(model::init_model(comm, data, kRank, model::Biases::kNone, seed, 0.5)),
        ratings(test::gather_ratings(comm, data.by_user)) {
    model.mu = 0.0;
  }
};

class ImplicitAlsReference
    : public testing::TestWithParam<std::tuple<ConfidenceScale, RegWeighting, int>> {};

TEST_P(ImplicitAlsReference, MatchesNaiveDenseAllPairsAls) {
  const auto [scale, weighting, threads] = GetParam();
  const Settings s{scale, scale == ConfidenceScale::kLinear ? 2.0 : 3.0, 0.5, weighting};
  Problem problem(3);
  DenseModel want = test::gather_model(problem.comm, problem.model);
  IalsSolver solver(problem.comm, problem.data, problem.model,
                    s.options(threads, AlsSolve::kCholesky));
  EXPECT_NEAR(solver.objective().value(), reference_loss(problem.ratings, s, want),
              1e-9 * reference_loss(problem.ratings, s, want));
  for (int epoch = 1; epoch <= 3; ++epoch) {
    const Objective after = solver.epoch();
    reference_half(problem.ratings, true, s, want.p, want.q);
    reference_half(problem.ratings, false, s, want.q, want.p);
    if (epoch == 2) continue;
    SCOPED_TRACE(testing::Message() << "epoch " << epoch);
    const DenseModel got = test::gather_model(problem.comm, problem.model);
    test::expect_near(got.p, want.p, 1e-4, "user factors");
    test::expect_near(got.q, want.q, 1e-4, "item factors");
    const double loss = reference_loss(problem.ratings, s, want);
    EXPECT_NEAR(after.value(), loss, 1e-5 * loss);
    // The epoch's figure is the model's, computed afresh the same way.
    EXPECT_NEAR(solver.objective().value(), after.value(), 1e-9 * loss);
    EXPECT_TRUE(after.all_pairs);
    EXPECT_FALSE(after.train_rmse());
    EXPECT_EQ(after.ratings, problem.ratings.size());
  }
}

INSTANTIATE_TEST_SUITE_P(
    ConfidenceAndWeighting, ImplicitAlsReference,
    testing::Values(std::tuple(ConfidenceScale::kLinear, RegWeighting::kCount, 1),
                    std::tuple(ConfidenceScale::kLog, RegWeighting::kUniform, 1),
                    std::tuple(ConfidenceScale::kLinear, RegWeighting::kUniform, 2),
                    std::tuple(ConfidenceScale::kLog, RegWeighting::kCount, 2)));

TEST(ImplicitAls, ConjugateGradientWithKStepsIsTheExactSolve) {
  // CG solves a k × k positive definite system in k steps (in exact
  // arithmetic; here to ~1e-12 in double), from any start.
  const Settings s;
  Problem problem(3);
  DenseModel want = test::gather_model(problem.comm, problem.model);
  IalsSolver solver(problem.comm, problem.data, problem.model, s.options(2, AlsSolve::kCg, kRank));
  for (int epoch = 0; epoch < 2; ++epoch) {
    static_cast<void>(solver.epoch());
    reference_half(problem.ratings, true, s, want.p, want.q);
    reference_half(problem.ratings, false, s, want.q, want.p);
  }
  const DenseModel got = test::gather_model(problem.comm, problem.model);
  test::expect_near(got.p, want.p, 1e-4, "user factors");
  test::expect_near(got.q, want.q, 1e-4, "item factors");
}

TEST(ImplicitAls, ThreeStepsOfConjugateGradientComeCloseToTheExactSolve) {
  // Warm-started, 3 steps a half-sweep (the default) reach the exact
  // solve's loss within 1% after 8 epochs on this problem.
  const Settings s;
  Problem exact(3);
  Problem cg(3);
  IalsSolver cholesky(exact.comm, exact.data, exact.model, s.options(1, AlsSolve::kCholesky));
  IalsSolver steps(cg.comm, cg.data, cg.model, s.options(1, AlsSolve::kCg, 3));
  double exact_loss = 0.0;
  double cg_loss = 0.0;
  for (int epoch = 0; epoch < 8; ++epoch) {
    exact_loss = cholesky.epoch().value();
    cg_loss = steps.epoch().value();
  }
  EXPECT_LE(cg_loss, 1.01 * exact_loss);
}

TEST(ImplicitAls, LossNeverIncreasesBetweenHalfSweeps) {
  for (const AlsSolve solve : {AlsSolve::kCholesky, AlsSolve::kCg}) {
    SCOPED_TRACE(to_string(solve));
    Problem problem(9);
    IalsSolver solver(problem.comm, problem.data, problem.model, Settings{}.options(2, solve, 2));
    double previous = solver.objective().value();
    for (int half = 0; half < 12; ++half) {
      if (half % 2 == 0) {
        solver.solve_users();
      } else {
        static_cast<void>(solver.solve_items());
      }
      const double now = solver.objective().value();
      // Each half-sweep lowers L over its rows (exactly, or by CG steps,
      // which descend the row's quadratic); float storage may cost ~1e-7.
      EXPECT_LE(now, previous * (1.0 + 1e-6)) << "half-sweep " << half;
      previous = now;
    }
  }
}

/// The solver's kernels replayed in one process over the whole model: the
/// Gram matrix of all other rows, then each row in global order.
void replay_half(const std::vector<Triple>& ratings, bool by_user, const Settings& s,
                 const IalsOptions& options, model::FactorBlock& rows,
                 const model::FactorBlock& others) {
  float largest = 0.0F;
  for (const float v : others.factors) largest = std::max(largest, std::abs(v));
  const int exponent = gram_exponent(largest, others.rows);
  std::vector<std::int64_t> sums(kRank * kRank, 0);
  add_gram_terms(others, 0, others.rows, exponent, sums);
  const std::vector<double> g = gram_from_sums(sums, kRank, exponent);
  const Eigen::MatrixXd gram = Eigen::Map<const Eigen::MatrixXd>(g.data(), kRank, kRank);
  const PackedGram float_gram(g, kRank);
  // The other side's rows packed as the exchange delivers them: k factors
  // and a (zero) bias.
  std::vector<float> packed;
  for (std::uint32_t o = 0; o < others.rows; ++o) {
    const auto row = others.row(o);
    packed.insert(packed.end(), row.begin(), row.end());
    packed.push_back(0.0F);
  }
  // Each row's observations in the order of the other side's rows, as the
  // blocks store them.
  std::vector<std::vector<std::pair<std::uint32_t, float>>> observed(rows.rows);
  for (const auto& t : ratings) {
    observed[by_user ? t.user : t.item].emplace_back(by_user ? t.item : t.user, t.value);
  }
  ImplicitRowSolver solver(kRank);
  const double lambda = by_user ? s.lambda_user : s.lambda_item;
  for (std::uint32_t r = 0; r < rows.rows; ++r) {
    auto& row = observed[r];
    std::ranges::sort(row);
    std::vector<std::uint32_t> slots;
    std::vector<float> values;
    for (const auto& [o, v] : row) {
      slots.push_back(o);
      values.push_back(v);
    }
    const RowRatings view{slots, values, packed.data(), kRank + 1};
    const double ridge = lambda * weight(s, static_cast<double>(row.size()));
    if (options.solve == AlsSolve::kCg) {
      std::vector<float> weights(values.size());
      ImplicitRowSolver::confidence_weights(values, options.confidence, weights);
      solver.solve_cg(view, weights, float_gram, ridge, options.cg_steps, rows.row(r));
    } else {
      solver.solve(view, gram, options.confidence, ridge, rows.row(r));
    }
  }
}

/// Collective: every rank's rows of one side, in global order, as one block.
model::FactorBlock gathered(const dist::Comm& comm, const model::FactorBlock& block) {
  model::FactorBlock all(0, block.total_rows, block.total_rows, block.k);
  all.factors = comm.allgatherv<float>(block.factors);
  return all;
}

class ImplicitAlsLayout : public testing::TestWithParam<std::tuple<AlsSolve, int>> {};

TEST_P(ImplicitAlsLayout, IsBitwiseTheOneProcessReplay) {
  const auto [solve, threads] = GetParam();
  const Settings s{ConfidenceScale::kLog, 4.0, 0.5, RegWeighting::kCount};
  Problem problem(7, 37, 23);
  const IalsOptions options = s.options(threads, solve, 2);
  model::FactorBlock users = gathered(problem.comm, problem.model.users);
  model::FactorBlock items = gathered(problem.comm, problem.model.items);
  IalsSolver solver(problem.comm, problem.data, problem.model, options);
  for (int epoch = 0; epoch < 3; ++epoch) {
    static_cast<void>(solver.epoch());
    replay_half(problem.ratings, true, s, options, users, items);
    replay_half(problem.ratings, false, s, options, items, users);
  }
  EXPECT_EQ(gathered(problem.comm, problem.model.users).factors, users.factors);
  EXPECT_EQ(gathered(problem.comm, problem.model.items).factors, items.factors);
}

INSTANTIATE_TEST_SUITE_P(SolvesAndThreads, ImplicitAlsLayout,
                         testing::Combine(testing::Values(AlsSolve::kCholesky, AlsSolve::kCg),
                                          testing::Values(1, 2)));

TEST(ExactGram, IsTheGramMatrixToDoublePrecisionTheSameForAnyThreads) {
  // Rows enough that 2 and 3 threads each take a share (exact_gram keeps
  // small blocks on one thread), split over the ranks.
  const auto comm = dist::Comm::world();
  constexpr std::uint32_t kRows = 5000;
  constexpr int k = 16;
  Rng rng(13);
  Eigen::MatrixXd all(kRows, k);
  for (Eigen::Index r = 0; r < all.rows(); ++r) {
    for (Eigen::Index c = 0; c < k; ++c) all(r, c) = static_cast<float>(rng.uniform() - 0.3);
  }
  const auto rank = static_cast<std::uint32_t>(comm.rank());
  const auto size = static_cast<std::uint32_t>(comm.size());
  const std::uint32_t first = kRows * rank / size;
  model::FactorBlock block(first, kRows * (rank + 1) / size - first, kRows, k);
  for (std::uint32_t r = 0; r < block.rows; ++r) {
    for (int c = 0; c < k; ++c)
      block.row(r)[static_cast<std::size_t>(c)] = static_cast<float>(all(first + r, c));
  }
  const std::vector<double> one = exact_gram(comm, block, 1);
  EXPECT_EQ(exact_gram(comm, block, 2), one);
  EXPECT_EQ(exact_gram(comm, block, 3), one);
  // The same bits as one process summing every row: any rank count agrees.
  model::FactorBlock whole(0, kRows, kRows, k);
  float largest = 0.0F;
  for (Eigen::Index r = 0; r < all.rows(); ++r) {
    for (int c = 0; c < k; ++c) {
      const auto v = static_cast<float>(all(r, c));
      whole.row(static_cast<std::uint32_t>(r))[static_cast<std::size_t>(c)] = v;
      largest = std::max(largest, std::abs(v));
    }
  }
  const int exponent = gram_exponent(largest, kRows);
  std::vector<std::int64_t> sums(k * k, 0);
  add_gram_terms(whole, 0, kRows, exponent, sums);
  EXPECT_EQ(gram_from_sums(sums, k, exponent), one);
  const Eigen::MatrixXd want = all.transpose() * all;
  const Eigen::MatrixXd got = Eigen::Map<const Eigen::MatrixXd>(one.data(), k, k);
  EXPECT_LE((got - want).cwiseAbs().maxCoeff(), 1e-12 * want.cwiseAbs().maxCoeff());
}

}  // namespace
}  // namespace dmf::solvers
