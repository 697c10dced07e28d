// The ALS row kernel against the normal equations solved plainly in double
// (dense, no chunks, no dual form), for degrees on both sides of k + 1, with
// and without a bias, and for rows longer than one gathered chunk.
#include "dmf/solvers/row_solver.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include <Eigen/Dense>

namespace dmf::solvers {
namespace {

struct Problem {
  int k = 0;
  std::size_t width = 0;
  std::vector<float> features;  // packed rows: k factors, then the bias
  std::vector<std::uint32_t> slots;
  std::vector<float> values;
};

Problem make_problem(int k, std::size_t degree, unsigned seed) {
  Problem p;
  p.k = k;
  p.width = static_cast<std::size_t>(k) + 1;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0F, 0.5F);
  const std::size_t rows = degree + 7;
  p.features.resize(rows * p.width);
  for (auto& x : p.features) x = normal(rng);
  for (std::size_t j = 0; j < degree; ++j) {
    p.slots.push_back(static_cast<std::uint32_t>((j * 7 + 3) % rows));
    p.values.push_back(static_cast<float>(1 + rng() % 5));
  }
  return p;
}

/// x minimizing Σ (y − f·x)² + ridge ‖x‖², from the dense normal equations.
Eigen::VectorXd reference(const Problem& p, bool with_bias, float mu, double ridge) {
  const auto k = static_cast<Eigen::Index>(p.k);
  const Eigen::Index dim = k + (with_bias ? 1 : 0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(dim, dim) * ridge;
  Eigen::VectorXd b = Eigen::VectorXd::Zero(dim);
  for (std::size_t j = 0; j < p.values.size(); ++j) {
    const float* f = &p.features[p.slots[j] * p.width];
    Eigen::VectorXd x(dim);
    for (Eigen::Index c = 0; c < k; ++c) x[c] = f[c];
    if (with_bias) x[k] = 1.0;
    const double y = static_cast<double>(p.values[j]) - mu - f[k];
    a += x * x.transpose();
    b += y * x;
  }
  return a.completeOrthogonalDecomposition().solve(b);
}

void expect_solves(int k, std::size_t degree, bool with_bias, double ridge) {
  SCOPED_TRACE(testing::Message() << "k " << k << ", degree " << degree << ", bias "
                                  << with_bias << ", ridge " << ridge);
  const Problem p = make_problem(k, degree, static_cast<unsigned>(k * 1000 + degree));
  const float mu = 3.25F;
  RowSolver solver(k, with_bias);
  std::vector<float> factors(static_cast<std::size_t>(k));
  float bias = -1.0F;
  const RowRatings row{p.slots, p.values, p.features.data(), p.width};
  const double reported = solver.solve(row, mu, ridge, factors, bias);
  // The error the solve reports (from its own quantities) is the error of
  // the factors it stored, measured rating by rating.
  const double measured = RowSolver::squared_error(row, mu, factors, bias);
  EXPECT_NEAR(reported, measured, 1e-4 * measured + 1e-6);
  const Eigen::VectorXd want = reference(p, with_bias, mu, ridge);
  const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
  for (int f = 0; f < k; ++f) {
    EXPECT_NEAR(factors[static_cast<std::size_t>(f)], want[f], 2e-5 * scale) << "factor " << f;
  }
  EXPECT_NEAR(bias, with_bias ? want[k] : 0.0, 2e-5 * scale);
}

TEST(RowSolver, MatchesDenseNormalEquationsAroundTheDualThreshold) {
  for (const int k : {3, 16, 64}) {
    for (const std::size_t degree : {1UL, 2UL, 15UL, 16UL, 17UL, 63UL, 64UL, 65UL, 66UL, 200UL}) {
      for (const bool with_bias : {false, true}) expect_solves(k, degree, with_bias, 0.7 * static_cast<double>(degree));
    }
  }
}

TEST(RowSolver, RowsLongerThanOneChunk) {
  const std::size_t chunk = RowSolver::kChunk;
  for (const std::size_t degree : {chunk - 1, chunk, chunk + 1, 3 * chunk + 17}) {
    expect_solves(8, degree, true, 0.05 * static_cast<double>(degree));
  }
}

TEST(RowSolver, UnregularizedRowsGetTheLeastSquaresSolution) {
  expect_solves(4, 40, true, 0.0);   // overdetermined: the exact least-squares fit
  expect_solves(6, 3, false, 0.0);   // underdetermined: the minimum-norm solution
}

TEST(RowSolver, RowWithoutRatingsIsZero) {
  RowSolver solver(4, true);
  std::vector<float> factors(4, 9.0F);
  float bias = 9.0F;
  solver.solve({}, 3.0F, 1.0, factors, bias);
  EXPECT_EQ(factors, std::vector<float>(4, 0.0F));
  EXPECT_EQ(bias, 0.0F);
}

TEST(RowSolver, SquaredErrorIsTheSumOfSquaredResiduals) {
  const Problem p = make_problem(5, 30, 11);
  const std::vector<float> factors{0.1F, -0.2F, 0.3F, 0.0F, 0.5F};
  const float bias = 0.25F;
  const float mu = 3.0F;
  double want = 0.0;
  for (std::size_t j = 0; j < p.values.size(); ++j) {
    const float* f = &p.features[p.slots[j] * p.width];
    double prediction = mu + bias + f[5];
    for (std::size_t c = 0; c < 5; ++c) prediction += static_cast<double>(factors[c]) * f[c];
    want += (p.values[j] - prediction) * (p.values[j] - prediction);
  }
  EXPECT_NEAR(RowSolver::squared_error({p.slots, p.values, p.features.data(), p.width}, mu,
                                       factors, bias),
              want, 1e-5 * want);
}

}  // namespace
}  // namespace dmf::solvers
