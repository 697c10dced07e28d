#include "dmf/solvers/ials/implicit_row.hpp"

#include <Eigen/Cholesky>

namespace dmf::solvers {
namespace {

/// Observation j's other row, k floats.
const float* feature(const RowRatings& row, std::size_t j) {
  return row.features + static_cast<std::size_t>(row.slots[j]) * row.feature_width;
}

/// y·v in double, the k products in index order.
double dot(const float* y, const Eigen::VectorXd& v) {
  double s = 0.0;
  for (Eigen::Index a = 0; a < v.size(); ++a) s += static_cast<double>(y[a]) * v[a];
  return s;
}

}  // namespace

void ImplicitRowSolver::weigh(const RowRatings& row, const Confidence& confidence) {
  extra_.resize(row.values.size());
  rhs_.setZero();
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    const double c = confidence.of(row.values[j]);
    extra_[j] = c - 1.0;
    const double weight = c * Confidence::preference(row.values[j]);
    if (weight == 0.0) continue;
    const float* y = feature(row, j);
    for (Eigen::Index a = 0; a < k_; ++a) rhs_[a] += weight * static_cast<double>(y[a]);
  }
}

ImplicitRowSolver::ImplicitRowSolver(int k)
    : k_(k),
      matrix_(k, k),
      features_(k, kChunk),
      weighted_(k, kChunk),
      cholesky_(k),
      rhs_(k),
      x_(k),
      residual_(k),
      direction_(k),
      product_(k) {}

void ImplicitRowSolver::solve(const RowRatings& row, const Eigen::MatrixXd& gram,
                              const Confidence& confidence, double ridge,
                              std::span<float> factors) {
  weigh(row, confidence);
  matrix_ = gram;
  matrix_.diagonal().array() += ridge;
  // Σ_obs (c_j − 1) y_j y_jᵀ, kChunk observations a product: the chunks
  // follow the stored order, so the sums do not depend on anything else.
  const auto n = static_cast<Eigen::Index>(row.values.size());
  for (Eigen::Index begin = 0; begin < n; begin += kChunk) {
    const Eigen::Index m = std::min(kChunk, n - begin);
    for (Eigen::Index j = 0; j < m; ++j) {
      const auto at = static_cast<std::size_t>(begin + j);
      const float* y = feature(row, at);
      for (Eigen::Index a = 0; a < k_; ++a) {
        features_(a, j) = y[a];
        weighted_(a, j) = extra_[at] * static_cast<double>(y[a]);
      }
    }
    matrix_.noalias() += weighted_.leftCols(m) * features_.leftCols(m).transpose();
  }
  cholesky_.compute(matrix_);
  if (cholesky_.info() == Eigen::Success) {
    x_ = cholesky_.solve(rhs_);
  } else {
    // Only without regularization, when G is singular (fewer other rows
    // than k): a least-squares solution still exists.
    x_ = matrix_.ldlt().solve(rhs_);
  }
  for (Eigen::Index a = 0; a < k_; ++a)
    factors[static_cast<std::size_t>(a)] = static_cast<float>(x_[a]);
}

void ImplicitRowSolver::apply(const RowRatings& row, const Eigen::MatrixXd& gram, double ridge,
                              const Eigen::VectorXd& v, Eigen::VectorXd& out) const {
  out.noalias() = gram * v;
  out += ridge * v;
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    if (extra_[j] == 0.0) continue;
    const float* y = feature(row, j);
    const double scaled = extra_[j] * dot(y, v);
    for (Eigen::Index a = 0; a < k_; ++a) out[a] += scaled * static_cast<double>(y[a]);
  }
}

void ImplicitRowSolver::solve_cg(const RowRatings& row, const Eigen::MatrixXd& gram,
                                 const Confidence& confidence, double ridge, int steps,
                                 std::span<float> factors) {
  for (Eigen::Index a = 0; a < k_; ++a) x_[a] = factors[static_cast<std::size_t>(a)];
  weigh(row, confidence);
  apply(row, gram, ridge, x_, product_);
  residual_ = rhs_ - product_;
  direction_ = residual_;
  double residual_norm = residual_.squaredNorm();
  for (int step = 0; step < steps && residual_norm > 0.0; ++step) {
    apply(row, gram, ridge, direction_, product_);
    const double curvature = direction_.dot(product_);
    if (!(curvature > 0.0)) break;  // the residual is below what double resolves
    const double length = residual_norm / curvature;
    x_ += length * direction_;
    residual_ -= length * product_;
    const double next_norm = residual_.squaredNorm();
    direction_ = residual_ + (next_norm / residual_norm) * direction_;
    residual_norm = next_norm;
  }
  for (Eigen::Index a = 0; a < k_; ++a)
    factors[static_cast<std::size_t>(a)] = static_cast<float>(x_[a]);
}

double ImplicitRowSolver::observed_loss(const RowRatings& row, const Confidence& confidence,
                                        std::span<const float> factors) {
  double total = 0.0;
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    const float* y = feature(row, j);
    double s = 0.0;
    for (std::size_t a = 0; a < factors.size(); ++a) {
      s += static_cast<double>(factors[a]) * static_cast<double>(y[a]);
    }
    const double miss = Confidence::preference(row.values[j]) - s;
    total += confidence.of(row.values[j]) * miss * miss - s * s;
  }
  return total;
}

}  // namespace dmf::solvers
