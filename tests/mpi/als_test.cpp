// The ALS solver against an independent reference written plainly here: one
// process, double precision, dense normal equations per row (Eigen LDLT),
// the objective of docs/design.md §2 summed term by term. Run at 1-4 ranks and 1-2
// threads; the solver's rows must agree with it after 1 and 5 epochs.
#include "dmf/solvers/als/als.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include <Eigen/Dense>

#include "dmf/core/rng.hpp"
#include "dmf/model/init.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers {
namespace {

using model::Biases;

using test::DenseModel;
using test::expect_near;
using test::gather_ratings;
using test::random_ratings;
using test::Triple;

struct Settings {
  Biases biases = Biases::kBoth;
  RegWeighting weighting = RegWeighting::kCount;
  double lambda_user = 0.3;
  double lambda_item = 0.1;
};

/// One reference half-sweep: every row of `rows` solved given `others`.
void reference_half(const std::vector<Triple>& ratings, bool by_user, const Settings& s, double mu,
                    Eigen::MatrixXd& rows, Eigen::VectorXd& bias, bool with_bias,
                    const Eigen::MatrixXd& others, const Eigen::VectorXd& other_bias) {
  const Eigen::Index k = rows.cols();
  const Eigen::Index dim = k + (with_bias ? 1 : 0);
  const double lambda = by_user ? s.lambda_user : s.lambda_item;
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(dim, dim);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(dim);
    double n = 0;
    for (const auto& t : ratings) {
      const Eigen::Index row = by_user ? t.user : t.item;
      const Eigen::Index other = by_user ? t.item : t.user;
      if (row != r) continue;
      Eigen::VectorXd x(dim);
      x.head(k) = others.row(other).transpose();
      if (with_bias) x[k] = 1.0;
      a += x * x.transpose();
      b += (t.value - mu - other_bias[other]) * x;
      n += 1;
    }
    const double w = s.weighting == RegWeighting::kCount ? n : 1.0;
    a.diagonal().array() += lambda * w;
    const Eigen::VectorXd x = a.ldlt().solve(b);
    rows.row(r) = x.head(k).transpose();
    bias[r] = with_bias ? x[k] : 0.0;
  }
}

double reference_objective(const std::vector<Triple>& ratings, const Settings& s,
                           const DenseModel& d) {
  return test::reference_objective(ratings, {s.lambda_user, s.lambda_item, s.weighting}, d);
}

class AlsReference : public testing::TestWithParam<std::tuple<Biases, RegWeighting, int>> {};

TEST_P(AlsReference, MatchesNaiveDoublePrecisionAls) {
  const auto comm = dist::Comm::world();
  const auto [biases, weighting, threads] = GetParam();
  const Settings s{biases, weighting, 0.3, 0.1};
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", random_ratings(40, 30, 0.4)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 4, biases, 3, 0.5);
  const auto ratings = gather_ratings(comm, data.by_user);
  DenseModel want = test::gather_model(comm, model);
  double mean = 0.0;
  for (const auto& t : ratings) mean += t.value;
  mean /= static_cast<double>(ratings.size());
  EXPECT_NEAR(model.mu, mean, 1e-12);
  want.mu = mean;

  AlsSolver solver(comm, data, model,
                   {{s.lambda_user, s.lambda_item, s.weighting}, threads, AlsSolve::kCholesky});
  for (int epoch = 1; epoch <= 5; ++epoch) {
    const Objective after = solver.epoch();
    reference_half(ratings, true, s, want.mu, want.p, want.bu, model::has_user_bias(biases), want.q,
                   want.bi);
    reference_half(ratings, false, s, want.mu, want.q, want.bi, model::has_item_bias(biases),
                   want.p, want.bu);
    if (epoch != 1 && epoch != 5) continue;
    SCOPED_TRACE(testing::Message() << "epoch " << epoch);
    const DenseModel got = test::gather_model(comm, model);
    expect_near(got.p, want.p, 1e-4, "user factors");
    expect_near(got.q, want.q, 1e-4, "item factors");
    expect_near(got.bu, want.bu, 1e-4, "user biases");
    expect_near(got.bi, want.bi, 1e-4, "item biases");
    const double objective = reference_objective(ratings, s, want);
    EXPECT_NEAR(after.value(), objective, 1e-5 * objective);
    EXPECT_NEAR(solver.objective().value(), objective, 1e-5 * objective);
    EXPECT_EQ(after.ratings, ratings.size());
  }
}

INSTANTIATE_TEST_SUITE_P(
    BiasesAndWeighting, AlsReference,
    testing::Combine(testing::Values(Biases::kNone, Biases::kUser, Biases::kItem, Biases::kBoth),
                     testing::Values(RegWeighting::kCount, RegWeighting::kUniform),
                     testing::Values(1)));
// Threads split rows, never a row's arithmetic: two settings are enough.
INSTANTIATE_TEST_SUITE_P(TwoThreads, AlsReference,
                         testing::Values(std::tuple(Biases::kBoth, RegWeighting::kCount, 2),
                                         std::tuple(Biases::kNone, RegWeighting::kUniform, 2)));

TEST(Als, ObjectiveNeverIncreasesBetweenHalfSweeps) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", random_ratings(50, 35, 0.3)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 6, Biases::kBoth, 9, 1.0);
  AlsSolver solver(comm, data, model, {{0.05, 0.05, RegWeighting::kCount}, 2, AlsSolve::kCholesky});
  double previous = solver.objective().value();
  for (int half = 0; half < 16; ++half) {
    if (half % 2 == 0) {
      solver.solve_users();
    } else {
      static_cast<void>(solver.solve_items());
    }
    const double now = solver.objective().value();
    // Each half-sweep minimizes L exactly over its rows, so L cannot rise;
    // the factors are stored in float, which may cost ~1e-7 relative.
    EXPECT_LE(now, previous * (1.0 + 1e-6)) << "half-sweep " << half;
    previous = now;
  }
}

TEST(Als, ExactLowRankWithoutRegularizationIsReconstructed) {
  // A fully observed 8 × 6 matrix of rank 2 plus the mean: R − μ has rank
  // at most 3 = k, so unregularized ALS without biases fits it exactly.
  const auto comm = dist::Comm::world();
  std::string text;
  for (int u = 0; u < 8; ++u) {
    for (int i = 0; i < 6; ++i) {
      const double r = 3.0 + 0.5 * (u % 3 - 1) * (i % 2 ? 1.0 : -0.5) + 0.25 * (u % 2) * (i - 2.5);
      text += fmt::format("{},{},{}\n", u, i, r);
    }
  }
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", text), data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 3, Biases::kNone, 1, 1.0);
  AlsSolver solver(comm, data, model, {{0.0, 0.0, RegWeighting::kCount}, 1, AlsSolve::kCholesky});
  Objective objective;
  for (int epoch = 0; epoch < 10; ++epoch) objective = solver.epoch();
  EXPECT_LT(objective.rmse(), 1e-4);
  EXPECT_LT(solver.objective().rmse(), 1e-4);
}

TEST(Als, RanksThatOwnNothingTakePart) {
  // Two users and three items: at 3 or 4 ranks some own no user or item.
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", "1,1,3\n1,2,4\n2,3,5\n2,1,2\n"),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 2, Biases::kBoth, 1, 0.5);
  const auto ratings = gather_ratings(comm, data.by_user);
  DenseModel want = test::gather_model(comm, model);
  AlsSolver solver(comm, data, model, {{0.1, 0.1, RegWeighting::kCount}, 1, AlsSolve::kCholesky});
  const Settings s{Biases::kBoth, RegWeighting::kCount, 0.1, 0.1};
  for (int epoch = 0; epoch < 3; ++epoch) {
    static_cast<void>(solver.epoch());
    reference_half(ratings, true, s, want.mu, want.p, want.bu, true, want.q, want.bi);
    reference_half(ratings, false, s, want.mu, want.q, want.bi, true, want.p, want.bu);
  }
  const DenseModel got = test::gather_model(comm, model);
  expect_near(got.p, want.p, 1e-4, "user factors");
  expect_near(got.q, want.q, 1e-4, "item factors");
}

}  // namespace
}  // namespace dmf::solvers
