#include "dmf/solvers/row_solver.hpp"

#include <algorithm>

#include <Eigen/Cholesky>
#include <Eigen/QR>

namespace dmf::solvers {
namespace {

/// Relative pivot size below which a float-summed Gram matrix is singular:
/// float epsilon (1.2e-7) times the sums' length, with room to spare.
constexpr double kSingularThreshold = 1e-5;

/// Factors the lower half of `a` in place (a = L Lᵀ); false when `a` is not
/// positive definite. Eigen's LLT is blocked, which for systems of k ≤ 100
/// or so costs half again the unblocked factorization it is built on
/// (measured: 15 vs 10 µs at k = 64), and this solve runs once per row.
bool factor_in_place(Eigen::MatrixXd& a) {
  return Eigen::internal::llt_inplace<double, Eigen::Lower>::unblocked(a) < 0;
}

/// x ← (L Lᵀ)⁻¹ x for the factor of factor_in_place.
void solve_factored(const Eigen::MatrixXd& factor, Eigen::VectorXd& x) {
  factor.triangularView<Eigen::Lower>().solveInPlace(x);
  factor.triangularView<Eigen::Lower>().adjoint().solveInPlace(x);
}

}  // namespace

RowSolver::RowSolver(int k, bool with_bias)
    : k_(k),
      with_bias_(with_bias),
      dim_(k + (with_bias ? 1 : 0)),
      chunk_(static_cast<Eigen::Index>(kChunk), dim_),
      targets_(static_cast<Eigen::Index>(kChunk)),
      gram_chunk_(dim_, dim_),
      rhs_chunk_(dim_),
      gram_(dim_, dim_),
      rhs_(dim_),
      factor_(dim_, dim_) {}

Eigen::Index RowSolver::gather(const RowRatings& row, float mu, std::size_t begin) {
  const auto k = static_cast<std::size_t>(k_);
  const std::size_t count = std::min(kChunk, row.values.size() - begin);
  for (std::size_t j = 0; j < count; ++j) {
    const float* feature = row.features + row.slots[begin + j] * row.feature_width;
    float* x = chunk_.row(static_cast<Eigen::Index>(j)).data();
    std::copy_n(feature, k, x);
    if (with_bias_) x[k] = 1.0F;
    const float target = row.values[begin + j] - mu - feature[k];
    targets_[static_cast<Eigen::Index>(j)] = target;
    targets_squared_ += static_cast<double>(target) * target;
  }
  return static_cast<Eigen::Index>(count);
}

double RowSolver::solve(const RowRatings& row, float mu, double ridge, std::span<float> factors,
                        float& bias) {
  const std::size_t n = row.values.size();
  if (n == 0) {
    std::ranges::fill(factors, 0.0F);
    bias = 0.0F;
    return 0.0;
  }
  targets_squared_ = 0.0;
  const double squared_error = n < static_cast<std::size_t>(dim_) && n <= kChunk
                                   ? solve_dual(row, mu, ridge)
                                   : solve_primal(row, mu, ridge);
  const auto k = static_cast<std::size_t>(k_);
  for (std::size_t f = 0; f < k; ++f) factors[f] = static_cast<float>(x_[static_cast<Eigen::Index>(f)]);
  bias = with_bias_ ? static_cast<float>(x_[static_cast<Eigen::Index>(k)]) : 0.0F;
  return squared_error;
}

double RowSolver::solve_primal(const RowRatings& row, float mu, double ridge) {
  gram_.setZero();
  rhs_.setZero();
  for (std::size_t begin = 0; begin < row.values.size(); begin += kChunk) {
    const Eigen::Index rows = gather(row, mu, begin);
    const auto features = chunk_.topRows(rows);
    gram_chunk_.setZero();
    gram_chunk_.selfadjointView<Eigen::Lower>().rankUpdate(features.transpose());
    rhs_chunk_.noalias() = features.transpose() * targets_.head(rows);
    gram_.triangularView<Eigen::Lower>() += gram_chunk_.cast<double>();
    rhs_ += rhs_chunk_.cast<double>();
  }
  gram_.diagonal().array() += ridge;
  factor_.triangularView<Eigen::Lower>() = gram_;
  if (factor_in_place(factor_)) {
    x_ = rhs_;
    solve_factored(factor_, x_);
  } else {
    // Singular (λ = 0 and the row's features span fewer than k+1
    // dimensions): the minimum-norm least-squares solution, which is what
    // the limit λ → 0 gives. The Gram matrix was summed in float, so pivots
    // below float rounding of the largest count as zero.
    const Eigen::MatrixXd full = gram_.selfadjointView<Eigen::Lower>();
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> decomposition(full);
    decomposition.setThreshold(kSingularThreshold);
    x_ = decomposition.solve(rhs_);
  }
  // Σ (y − Xx)² = yᵀy − 2 xᵀXᵀy + xᵀ(XᵀX)x, with XᵀX the Gram matrix less
  // the ridge. It cancels when the fit is close, but the terms are doubles
  // of at most float-rounded sums: enough for a reported figure.
  const double fit = x_.dot(gram_.selfadjointView<Eigen::Lower>() * x_) - ridge * x_.squaredNorm();
  return std::max(0.0, targets_squared_ - 2.0 * x_.dot(rhs_) + fit);
}

double RowSolver::solve_dual(const RowRatings& row, float mu, double ridge) {
  // (XᵀX + λw I) x = Xᵀy  ⇔  x = Xᵀ α with (XXᵀ + λw I) α = y: for a row with
  // fewer ratings n than unknowns the n × n system is the smaller one. With
  // λ = 0 this is the minimum-norm solution, as long as the n features are
  // independent (else the factorization fails and the primal path decides).
  const Eigen::Index n = gather(row, mu, 0);
  const auto features = chunk_.topRows(n);
  dual_chunk_.setZero(n, n);
  dual_chunk_.selfadjointView<Eigen::Lower>().rankUpdate(features);
  dual_.resize(n, n);
  dual_.triangularView<Eigen::Lower>() = dual_chunk_.cast<double>();
  dual_.diagonal().array() += ridge;
  const bool factored = factor_in_place(dual_);
  if (!factored) {
    targets_squared_ = 0.0;
    return solve_primal(row, mu, ridge);
  }
  alpha_ = targets_.head(n).cast<double>();
  solve_factored(dual_, alpha_);
  x_.noalias() = features.transpose().cast<double>() * alpha_;
  // (XXᵀ + λw I) α = y makes the residual y − Xx = y − XXᵀα = λw α.
  return ridge * ridge * alpha_.squaredNorm();
}

double RowSolver::squared_error(const RowRatings& row, float mu, std::span<const float> factors,
                                float bias) {
  const auto k = static_cast<Eigen::Index>(factors.size());
  const Eigen::Map<const Eigen::VectorXf> x(factors.data(), k);
  double total = 0.0;
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    const float* feature = row.features + row.slots[j] * row.feature_width;
    const float dot = x.dot(Eigen::Map<const Eigen::VectorXf>(feature, k));
    const double error = static_cast<double>(row.values[j]) - (mu + bias + feature[k] + dot);
    total += error * error;
  }
  return total;
}

}  // namespace dmf::solvers
