#include "dmf/solvers/ials/implicit_row.hpp"

#include <array>
#include <vector>

#include <Eigen/Cholesky>

#include "../als/simd.hpp"  // als_simd::prefetch_floats

namespace dmf::solvers {
namespace {

/// Ranks up to which observed_loss() keeps x on the stack.
constexpr Eigen::Index kMaxStackRank = 256;
/// Observations ahead whose feature row observed_loss() prefetches.
constexpr std::size_t kLossPrefetchAhead = 8;

/// Observation j's other row, k floats.
const float* feature(const RowRatings& row, std::size_t j) {
  return row.features + static_cast<std::size_t>(row.slots[j]) * row.feature_width;
}

// Plain loops over the k entries of a float row: the compiler vectorizes
// them with the float-to-double conversion, which Eigen's cast<double>()
// expressions here did not.

/// out += weight · y, y converted to double.
void add_scaled(double weight, const float* y, Eigen::Index k, double* out) {
  for (Eigen::Index a = 0; a < k; ++a) out[a] += weight * static_cast<double>(y[a]);
}

/// out = weight · y, y converted to double.
void set_scaled(double weight, const float* y, Eigen::Index k, double* out) {
  for (Eigen::Index a = 0; a < k; ++a) out[a] = weight * static_cast<double>(y[a]);
}

/// y·x in double, summed in kLanes interleaved partial sums (a fixed order).
double dot(const float* y, const double* x, Eigen::Index k) {
  constexpr Eigen::Index kLanes = 8;
  std::array<double, kLanes> partial{};
  Eigen::Index a = 0;
  for (; a + kLanes <= k; a += kLanes) {
    for (Eigen::Index l = 0; l < kLanes; ++l) {
      partial[static_cast<std::size_t>(l)] += static_cast<double>(y[a + l]) * x[a + l];
    }
  }
  double s = 0.0;
  for (; a < k; ++a) s += static_cast<double>(y[a]) * x[a];
  for (const double p : partial) s += p;
  return s;
}

}  // namespace

void ImplicitRowSolver::weigh(const RowRatings& row, const Confidence& confidence) {
  const std::size_t n = row.values.size();
  extra_.resize(n);
  rhs_.setZero();
  for (std::size_t j = 0; j < n; ++j) {
    const double c = confidence.of(row.values[j]);
    extra_[j] = c - 1.0;
    const double weight = c * Confidence::preference(row.values[j]);
    if (weight != 0.0) add_scaled(weight, feature(row, j), k_, rhs_.data());
  }
}

void ImplicitRowSolver::confidence_weights(std::span<const float> values,
                                           const Confidence& confidence, std::span<float> out) {
  for (std::size_t j = 0; j < values.size(); ++j) {
    out[j] = static_cast<float>(confidence.of(values[j]) - 1.0);
  }
}

ImplicitRowSolver::ImplicitRowSolver(int k)
    : k_(k),
      matrix_(k, k),
      scaled_(k, kChunk),
      cholesky_(k),
      direction_(Eigen::VectorXf::Zero(static_cast<Eigen::Index>(padded_rank(k)))),
      rhs_(k),
      x_(k),
      residual_(k),
      search_(k),
      product_(k),
      gram_product_(k) {}

void ImplicitRowSolver::solve(const RowRatings& row, const Eigen::MatrixXd& gram,
                              const Confidence& confidence, double ridge,
                              std::span<float> factors) {
  weigh(row, confidence);
  matrix_ = gram;
  matrix_.diagonal().array() += ridge;
  // Σ_obs (c_j − 1) y_j y_jᵀ = Σ z_j z_jᵀ with z_j = √(c_j − 1) y_j, kChunk
  // observations a symmetric rank update of the lower triangle (which is
  // all the factorization reads). The chunks follow the stored order, so
  // the sums do not depend on anything else.
  const auto n = static_cast<Eigen::Index>(row.values.size());
  for (Eigen::Index begin = 0; begin < n; begin += kChunk) {
    const Eigen::Index m = std::min(kChunk, n - begin);
    for (Eigen::Index j = 0; j < m; ++j) {
      const auto at = static_cast<std::size_t>(begin + j);
      set_scaled(std::sqrt(extra_[at]), feature(row, at), k_, scaled_.col(j).data());
    }
    matrix_.selfadjointView<Eigen::Lower>().rankUpdate(scaled_.leftCols(m));
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

void ImplicitRowSolver::set_direction(const Eigen::VectorXd& v) {
  for (Eigen::Index a = 0; a < k_; ++a) direction_[a] = static_cast<float>(v[a]);
}

void ImplicitRowSolver::solve_cg(const RowRatings& row, std::span<const float> weights,
                                 const PackedGram& gram, double ridge, int steps,
                                 std::span<float> factors) {
  // t_j = c_j p_j = (1 + w_j) p_j.
  const std::size_t n = row.values.size();
  targets_.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    targets_[j] = row.values[j] > 0.0F ? 1.0F + weights[j] : 0.0F;
  }
  const WeightedPassInput input{row.slots.data(), weights.data(),    targets_.data(),     n,
                                row.features,     row.feature_width, static_cast<int>(k_)};
  for (Eigen::Index a = 0; a < k_; ++a) x_[a] = factors[static_cast<std::size_t>(a)];
  // The residual at the start, r = b − A x₀ = Σ_obs (t_j − w_j y_j·x₀) y_j
  // − G x₀ − ridge x₀: one pass with the targets (x₀ is float: exact).
  set_direction(x_);
  weighted_pass(input, direction_.data(), /*with_targets=*/true, residual_.data());
  gram.multiply(direction_.data(), gram_product_.data());
  residual_ -= gram_product_ + ridge * x_;
  search_ = residual_;
  double residual_norm = residual_.squaredNorm();
  // The products are summed in float: below this the residual is rounding.
  const double rounding = 1e-12 * residual_norm;
  for (int step = 0; step < steps && residual_norm > rounding; ++step) {
    // A p = G p + ridge p + Σ_obs w_j (y_j·p) y_j; the pass gives −Σ.
    set_direction(search_);
    weighted_pass(input, direction_.data(), /*with_targets=*/false, product_.data());
    gram.multiply(direction_.data(), gram_product_.data());
    product_ = gram_product_ + ridge * search_ - product_;
    const double curvature = search_.dot(product_);
    if (!(curvature > 0.0)) break;  // the residual is below what the products resolve
    const double length = residual_norm / curvature;
    x_ += length * search_;
    residual_ -= length * product_;
    const double next_norm = residual_.squaredNorm();
    search_ = residual_ + (next_norm / residual_norm) * search_;
    residual_norm = next_norm;
  }
  for (Eigen::Index a = 0; a < k_; ++a)
    factors[static_cast<std::size_t>(a)] = static_cast<float>(x_[a]);
}

double ImplicitRowSolver::observed_loss(const RowRatings& row, const Confidence& confidence,
                                        std::span<const float> factors) {
  const auto k = static_cast<Eigen::Index>(factors.size());
  std::array<double, kMaxStackRank> stack{};
  std::vector<double> heap;
  double* x = stack.data();
  if (k > kMaxStackRank) {
    heap.resize(static_cast<std::size_t>(k));
    x = heap.data();
  }
  for (Eigen::Index a = 0; a < k; ++a) x[a] = factors[static_cast<std::size_t>(a)];
  double total = 0.0;
  const std::size_t n = row.values.size();
  for (std::size_t j = 0; j < n; ++j) {
    // The rows lie scattered (in L3 or memory when the loss is measured
    // afresh): the one a few observations ahead is fetched meanwhile.
    if (j + kLossPrefetchAhead < n) {
      als_simd::prefetch_floats(feature(row, j + kLossPrefetchAhead), static_cast<std::size_t>(k));
    }
    const double s = dot(feature(row, j), x, k);
    const double miss = Confidence::preference(row.values[j]) - s;
    total += confidence.of(row.values[j]) * miss * miss - s * s;
  }
  return total;
}

}  // namespace dmf::solvers
