// The float SIMD kernels of implicit ALS's conjugate gradient
// (docs/design.md §4, implicit ALS). A step's product is
//   A v = G v + ridge v + Σ_obs w_j (y_j·v) y_j,   w_j = c_j − 1,
// and the starting residual needs b − (A − G − ridge I) x₀ =
// Σ_obs (t_j − w_j (y_j·x₀)) y_j with the targets t_j = c_j p_j. Both sums
// over the row's observations are one weighted_pass(); G v is
// PackedGram::multiply(). Each reads its inputs once (a feature row is in
// registers between its product and its multiply-add) and sums in float, in
// an order fixed by k and the instruction set alone: the observations in
// their stored order, in chunks of kWeightedChunk added in double, and G's
// columns in order. Neither depends on threads, ranks or where the feature
// rows lie (any stride, any alignment), so the model stays bitwise the same
// for any layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <Eigen/Core>

namespace dmf::solvers {

/// Observations whose float sums are added in double at a time: float
/// rounding stays near 1e-6 relative for rows of any length.
inline constexpr std::size_t kWeightedChunk = 256;

/// What a weighted pass reads of the row.
struct WeightedPassInput {
  const std::uint32_t* slots = nullptr;  // per observation: its feature row
  const float* weights = nullptr;        // per observation: w_j = c_j − 1
  const float* targets = nullptr;        // per observation: t_j = c_j p_j (with targets)
  std::size_t count = 0;
  const float* features = nullptr;  // feature row s at features + s · stride
  std::size_t stride = 0;
  int k = 0;
};

/// Floats of the vector a pass or a multiply takes for k unknowns: k padded
/// to whole SIMD packets, the padding zero.
[[nodiscard]] std::size_t padded_rank(int k);

/// out[0 .. k) = Σ_j e_j y_j with e_j = t_j − w_j (y_j·v) when
/// `with_targets`, else e_j = −w_j (y_j·v); v = `direction`
/// (padded_rank(k) floats, the padding zero).
void weighted_pass(const WeightedPassInput& row, const float* direction, bool with_targets,
                   double* out);

/// Prefetches the feature rows of the first observations of `row`, those a
/// pass reads before its own prefetching (a few observations ahead) covers
/// them: issued for the next row while this one is solved, they arrive
/// meanwhile instead of stalling its first pass.
void prefetch_first_features(const WeightedPassInput& row);

/// A symmetric k × k matrix (the Gram matrix G of the other side) in float,
/// its columns padded to whole SIMD packets with zeros, for G v in float.
class PackedGram {
 public:
  PackedGram() = default;
  /// From `gram`, k × k (symmetric; column-major or row-major alike).
  PackedGram(std::span<const double> gram, int k);

  [[nodiscard]] int k() const noexcept { return k_; }
  /// out[0 .. k) = G v, v = `vector` (padded_rank(k) floats, the padding
  /// zero): the columns in order, one multiply-add each per entry.
  void multiply(const float* vector, double* out) const;

 private:
  int k_ = 0;
  std::size_t ld_ = 0;    // floats per column: padded_rank(k)
  Eigen::VectorXf data_;  // ld_ × k, column-major (Eigen aligns it to packets)
};

}  // namespace dmf::solvers
