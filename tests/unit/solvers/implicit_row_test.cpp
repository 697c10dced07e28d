// The implicit-ALS row kernel against its normal equations built plainly in
// double (the all-pairs Gram matrix plus each observation's (c − 1) y yᵀ,
// dense, no chunks), for a short row and one of many float chunks of
// conjugate gradient's passes; conjugate gradient against the exact solve;
// the observed-pair loss against its formula.
#include "dmf/solvers/ials/implicit_row.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include <Eigen/Dense>

namespace dmf::solvers {
namespace {

constexpr int kRank = 6;

struct Row {
  std::vector<float> features;  // packed rows: k factors, then the bias
  std::vector<std::uint32_t> slots;
  std::vector<float> values;
  Eigen::MatrixXd gram;  // of every feature row

  [[nodiscard]] RowRatings view() const { return {slots, values, features.data(), kRank + 1}; }
  [[nodiscard]] Eigen::VectorXd feature(std::size_t j) const {
    Eigen::VectorXd y(kRank);
    for (int a = 0; a < kRank; ++a) y[a] = features[slots[j] * (kRank + 1) + a];
    return y;
  }
};

/// `degree` observations (counts 0-9, some negative) of rows among
/// degree + 5 others.
Row make_row(std::size_t degree, unsigned seed) {
  Row r;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0F, 0.4F);
  const std::size_t others = degree + 5;
  r.features.resize(others * (kRank + 1));
  for (auto& x : r.features) x = normal(rng);
  r.gram = Eigen::MatrixXd::Zero(kRank, kRank);
  for (std::size_t o = 0; o < others; ++o) {
    r.features[o * (kRank + 1) + kRank] = 0.0F;  // the bias slot
    Eigen::VectorXd y(kRank);
    for (int a = 0; a < kRank; ++a) y[a] = r.features[o * (kRank + 1) + a];
    r.gram += y * y.transpose();
  }
  for (std::size_t j = 0; j < degree; ++j) {
    r.slots.push_back(static_cast<std::uint32_t>((j * 7 + 3) % others));
    r.values.push_back(static_cast<float>(static_cast<int>(rng() % 12) - 2));
  }
  return r;
}

/// The solution of the row's normal equations, built term by term.
Eigen::VectorXd plain_solution(const Row& r, const Confidence& c, double ridge) {
  Eigen::MatrixXd a = r.gram + ridge * Eigen::MatrixXd::Identity(kRank, kRank);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(kRank);
  for (std::size_t j = 0; j < r.values.size(); ++j) {
    const double v = r.values[j];
    const double confidence = 1.0 + c.alpha * std::log(1.0 + std::abs(v) / c.epsilon);
    const Eigen::VectorXd y = r.feature(j);
    a += (confidence - 1.0) * y * y.transpose();
    if (v > 0) b += confidence * y;
  }
  return a.ldlt().solve(b);
}

Eigen::VectorXd as_vector(const std::vector<float>& x) {
  Eigen::VectorXd out(kRank);
  for (int a = 0; a < kRank; ++a) out[a] = x[static_cast<std::size_t>(a)];
  return out;
}

TEST(ImplicitRowSolver, SolvesTheNormalEquationsExactlyAndByConjugateGradient) {
  const Confidence c{3.0, ConfidenceScale::kLog, 0.5};
  // Shorter and longer than one float chunk of conjugate gradient's passes.
  for (const std::size_t degree : {std::size_t{30}, std::size_t{5000}}) {
    SCOPED_TRACE(degree);
    const Row r = make_row(degree, 7);
    const double ridge = 0.1 * static_cast<double>(degree);
    const Eigen::VectorXd want = plain_solution(r, c, ridge);
    const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
    ImplicitRowSolver solver(kRank);
    std::vector<float> exact(kRank, 0.0F);
    solver.solve(r.view(), r.gram, c, ridge, exact);
    EXPECT_LE((as_vector(exact) - want).cwiseAbs().maxCoeff(), 1e-6 * scale);
    // k steps solve a k × k system in exact arithmetic, from any start;
    // with the products in float, CG loses that finite termination (here
    // 1.4e-5 after k steps) and reaches the rounding floor (8e-7) a few
    // steps later: 2k steps.
    const PackedGram gram(std::span(r.gram.data(), r.gram.size()), kRank);
    std::vector<float> weights(r.values.size());
    ImplicitRowSolver::confidence_weights(r.values, c, weights);
    std::vector<float> cg(kRank, 0.5F);
    solver.solve_cg(r.view(), weights, gram, ridge, 2 * kRank, cg);
    EXPECT_LE((as_vector(cg) - want).cwiseAbs().maxCoeff(), 1e-6 * scale);
    // One step does not.
    std::vector<float> one(kRank, 0.5F);
    solver.solve_cg(r.view(), weights, gram, ridge, 1, one);
    EXPECT_GT((as_vector(one) - want).cwiseAbs().maxCoeff(), 1e-3 * scale);
  }
}

TEST(ImplicitRowSolver, ObservedLossIsTheObservedPairsCorrection) {
  const Confidence c{2.0, ConfidenceScale::kLinear, 1.0};
  const Row r = make_row(40, 3);
  const std::vector<float> x{0.3F, -0.2F, 0.5F, 0.1F, 0.0F, -0.4F};
  double want = 0.0;
  for (std::size_t j = 0; j < r.values.size(); ++j) {
    const double s = r.feature(j).dot(as_vector(x));
    const double p = r.values[j] > 0 ? 1.0 : 0.0;
    want += (1.0 + 2.0 * std::abs(r.values[j])) * (p - s) * (p - s) - s * s;
  }
  EXPECT_NEAR(ImplicitRowSolver::observed_loss(r.view(), c, x), want, 1e-12 * std::abs(want));
}

}  // namespace
}  // namespace dmf::solvers
