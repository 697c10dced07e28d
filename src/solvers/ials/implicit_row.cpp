#include "dmf/solvers/ials/implicit_row.hpp"

#include <array>
#include <vector>

#include <Eigen/Cholesky>

namespace dmf::solvers {
namespace {

/// Ranks up to which observed_loss() keeps x on the stack.
constexpr Eigen::Index kMaxStackRank = 256;

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

/// y·x in double, summed in kLanes interleaved partial sums (a fixed order;
/// y float or its exact double copy: the same bits).
template <typename T>
double dot(const T* y, const double* x, Eigen::Index k) {
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

void ImplicitRowSolver::weigh(const RowRatings& row, const Confidence& confidence, bool gathered) {
  const auto n = static_cast<Eigen::Index>(row.values.size());
  extra_.resize(n);
  confidences_.resize(n);
  rhs_.setZero();
  for (Eigen::Index j = 0; j < n; ++j) {
    const auto at = static_cast<std::size_t>(j);
    const double c = confidence.of(row.values[at]);
    confidences_[j] = c;
    extra_[j] = c - 1.0;
    // A gathered row is read from memory once: its column is written here
    // and the right-hand side added from it (the same double values).
    if (gathered) set_scaled(1.0, feature(row, at), k_, gathered_.col(j).data());
    const double weight = c * Confidence::preference(row.values[at]);
    if (weight == 0.0) continue;
    if (gathered) {
      const double* y = gathered_.col(j).data();
      for (Eigen::Index a = 0; a < k_; ++a) rhs_[a] += weight * y[a];
    } else {
      add_scaled(weight, feature(row, at), k_, rhs_.data());
    }
  }
}

void ImplicitRowSolver::gather(const RowRatings& row, Eigen::Index begin, Eigen::Index m) {
  for (Eigen::Index j = 0; j < m; ++j) {
    set_scaled(1.0, feature(row, static_cast<std::size_t>(begin + j)), k_, gathered_.col(j).data());
  }
}

ImplicitRowSolver::ImplicitRowSolver(int k)
    : k_(k),
      matrix_(k, k),
      scaled_(k, kChunk),
      cholesky_(k),
      gathered_(k, kGather),
      projections_(kGather),
      loss_x_(k),
      rhs_(k),
      x_(k),
      residual_(k),
      direction_(k),
      product_(k) {}

void ImplicitRowSolver::solve(const RowRatings& row, const Eigen::MatrixXd& gram,
                              const Confidence& confidence, double ridge,
                              std::span<float> factors) {
  weigh(row, confidence, /*gathered=*/false);
  last_gathered_ = false;
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
      set_scaled(std::sqrt(extra_[begin + j]), feature(row, at), k_, scaled_.col(j).data());
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

void ImplicitRowSolver::apply(const RowRatings& row, const Eigen::MatrixXd& gram, double ridge,
                              bool gathered, const Eigen::VectorXd& v, Eigen::VectorXd& out) {
  out.noalias() = gram * v;
  out += ridge * v;
  // Σ_obs (c_j − 1)(y_j·v) y_j = Y ((c − 1) ∘ Yᵀv), kGather columns of Y at a time.
  const auto n = static_cast<Eigen::Index>(row.values.size());
  for (Eigen::Index begin = 0; begin < n; begin += kGather) {
    const Eigen::Index m = std::min(kGather, n - begin);
    if (!gathered) gather(row, begin, m);
    const auto y = gathered_.leftCols(m);
    auto projections = projections_.head(m);
    projections.noalias() = y.transpose() * v;
    projections.array() *= extra_.segment(begin, m).array();
    out.noalias() += y * projections;
  }
}

void ImplicitRowSolver::solve_cg(const RowRatings& row, const Eigen::MatrixXd& gram,
                                 const Confidence& confidence, double ridge, int steps,
                                 std::span<float> factors) {
  for (Eigen::Index a = 0; a < k_; ++a) x_[a] = factors[static_cast<std::size_t>(a)];
  const bool gathered = static_cast<Eigen::Index>(row.values.size()) <= kGather;
  weigh(row, confidence, gathered);
  last_gathered_ = gathered;
  gathered_count_ = static_cast<Eigen::Index>(row.values.size());
  apply(row, gram, ridge, gathered, x_, product_);
  residual_ = rhs_ - product_;
  direction_ = residual_;
  double residual_norm = residual_.squaredNorm();
  for (int step = 0; step < steps && residual_norm > 0.0; ++step) {
    apply(row, gram, ridge, gathered, direction_, product_);
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

double ImplicitRowSolver::solved_observed_loss(const RowRatings& row, const Confidence& confidence,
                                               std::span<const float> factors) {
  const auto n = static_cast<Eigen::Index>(row.values.size());
  if (!last_gathered_ || n != gathered_count_) return observed_loss(row, confidence, factors);
  // The same terms as observed_loss(), in the same order, from the gathered
  // columns (the exact double values of the rows) and the row's
  // confidences: the same bits without reading the rows again.
  Eigen::VectorXd& x = loss_x_;
  for (Eigen::Index a = 0; a < k_; ++a) x[a] = factors[static_cast<std::size_t>(a)];
  double total = 0.0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double s = dot(gathered_.col(j).data(), x.data(), k_);
    const double miss = Confidence::preference(row.values[static_cast<std::size_t>(j)]) - s;
    total += confidences_[j] * miss * miss - s * s;
  }
  return total;
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
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    const double s = dot(feature(row, j), x, k);
    const double miss = Confidence::preference(row.values[j]) - s;
    total += confidence.of(row.values[j]) * miss * miss - s * s;
  }
  return total;
}

}  // namespace dmf::solvers
