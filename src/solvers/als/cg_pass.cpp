#include "dmf/solvers/als/cg_pass.hpp"

#include <cstdint>

#include "error_sums.hpp"

namespace dmf::solvers {
namespace {

using als_simd::kPacketFloats;

/// e_j of ALS's cg pass (cg_pass.hpp): y_j − z_jᵀv with targets, −z_jᵀv
/// without; with targets Σ e² too, and with the row's bias Σ e (the bias's
/// sum, z's last entry being 1).
template <bool kTargets, bool kStreams>
struct CgTerms {
  static constexpr bool kPrefetch = kStreams;

  CgTerms(const CgPassInput& input, const float* direction, double* out)
      : row(input), v_bias(input.with_bias ? direction[input.k] : 0.0F), bias_out(out + input.k) {
    if (row.with_bias) *bias_out = 0.0;
  }

  float error(std::size_t j, float product) {
    product += v_bias;
    float e = -product;
    if constexpr (kTargets) {
      const std::uint32_t slot = row.slots[j];
      e = (row.values[j] - row.mu - row.biases[static_cast<std::size_t>(slot) * row.bias_stride]) -
          product;
      squares += static_cast<double>(e) * e;
    }
    bias_sum += e;
    return e;
  }

  void chunk_done() {
    if (row.with_bias) *bias_out += static_cast<double>(bias_sum);
    bias_sum = 0.0F;
  }

  const CgPassInput& row;
  const float v_bias;
  double* const bias_out;
  double squares = 0.0;
  float bias_sum = 0.0F;
};

template <bool kTargets, bool kStreams>
double run_pass(const CgPassInput& row, const float* direction, double* out) {
  CgTerms<kTargets, kStreams> terms(row, direction, out);
  const als_simd::SlotRows rows{row.slots, row.ratings, row.features, row.feature_width, row.k};
  als_simd::error_sums(terms, rows, direction, out);
  return terms.squares;
}

}  // namespace

std::size_t cg_direction_size(int k) {
  return static_cast<std::size_t>((k + 1 + kPacketFloats - 1) / kPacketFloats * kPacketFloats);
}

bool cg_pass_streams(const CgPassInput& row, bool with_targets) {
  return with_targets ||
         row.ratings * static_cast<std::size_t>(row.k) * sizeof(float) > kCgCachedBytes;
}

double cg_pass(const CgPassInput& row, const float* direction, bool with_targets, double* out) {
  const bool streams = cg_pass_streams(row, with_targets);
  if (with_targets) {
    return streams ? run_pass<true, true>(row, direction, out)
                   : run_pass<true, false>(row, direction, out);
  }
  return streams ? run_pass<false, true>(row, direction, out)
                 : run_pass<false, false>(row, direction, out);
}

}  // namespace dmf::solvers
