// One pass of ALS's conjugate gradient over a row's ratings (docs/design.md
// §4): with z_j = [q_j; 1] the other rows' features (the 1 only with the
// row's bias) and v a vector of the unknowns' space,
//   e_j = y_j − z_jᵀv   (y_j = r_j − μ − b_j; or e_j = −z_jᵀv without targets)
//   out = Σ_j e_j z_j,  returns Σ_j e_j².
// One read of each feature row serves both the product and the sum (the row
// is in registers between them), and the features are read where they lie
// through the slots: no gathered copy. The sums are the ones implicit ALS's
// passes take too (src/solvers/als/error_sums.hpp): in float over chunks of
// ratings in their stored order, added in double across chunks, in an order
// fixed by k and the instruction set alone, so the result never depends on
// threads, ranks or where the rows sit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmf::solvers {

/// What a pass reads of the row.
struct CgPassInput {
  const std::uint32_t* slots = nullptr;  // per rating: the feature row
  const float* values = nullptr;         // per rating: r_j
  std::size_t ratings = 0;
  const float* features = nullptr;  // feature row s at features + s · feature_width
  std::size_t feature_width = 0;
  const float* biases = nullptr;  // b_j of feature row s at biases[s · bias_stride]
  std::size_t bias_stride = 0;
  int k = 0;
  bool with_bias = false;  // z = [q; 1] (else z = q)
  float mu = 0.0F;
};

/// Bytes of a row's feature rows that its conjugate-gradient steps find in
/// cache (half of a 2 MiB L2) after the pass with targets has read them.
inline constexpr std::size_t kCgCachedBytes = std::size_t{1} << 20;

/// Whether a pass prefetches the feature rows ahead of the rating it reads:
/// the pass with targets reads them first of the row's passes, and a row
/// whose features exceed kCgCachedBytes reads them from beyond L2 every
/// time. Prefetching never changes a result.
bool cg_pass_streams(const CgPassInput& row, bool with_targets);

/// Floats of the `direction` a pass takes for k unknowns (plus the bias):
/// padded to whole SIMD packets, the padding zero.
std::size_t cg_direction_size(int k);

/// out[0 .. k + with_bias) = Σ e z as above with v = `direction`
/// (cg_direction_size(k) floats, zero beyond the unknowns); targets y_j when
/// `with_targets`. Returns Σ e² with targets, 0 without (CG's steps do not need it).
double cg_pass(const CgPassInput& row, const float* direction, bool with_targets, double* out);

}  // namespace dmf::solvers
