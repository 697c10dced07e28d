#include "dmf/solvers/als/cg_pass.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <Eigen/Core>

#include "dmf/solvers/als/row_solver.hpp"
#include "simd.hpp"

namespace dmf::solvers {
namespace {

using als_simd::kPacketFloats;
using als_simd::kPrefetchAhead;
using als_simd::Packet;

/// Whole packets of k the specialized passes keep in registers (k below
/// 9 packets: 144 with AVX-512, 72 with AVX); wider rows take the generic
/// pass, which keeps its sums in memory.
constexpr int kMaxPackets = 8;

inline float bias_of(const CgPassInput& row, std::uint32_t slot) {
  return row.biases[static_cast<std::size_t>(slot) * row.bias_stride];
}

/// Prefetches the feature row kPrefetchAhead ratings ahead of j, when the
/// pass streams (kPrefetch, cg_pass_streams): else the lines are in cache
/// from the row's earlier passes and the prefetches would only take issue
/// slots from the math.
template <bool kPrefetch>
inline void prefetch_row(const CgPassInput& row, std::size_t j) {
  if (!kPrefetch || j + kPrefetchAhead >= row.ratings) return;
  als_simd::prefetch_floats(row.features + row.slots[j + kPrefetchAhead] * row.feature_width,
                            static_cast<std::size_t>(row.k));
}

/// The pass for k = P packets + a tail shorter than a packet: the direction
/// and the chunk's sums Σ e q stay in registers; per rating the row's
/// packets are loaded once for the product (two interleaved chains, even
/// and odd packets, added, then across lanes in Eigen's fixed order, then
/// the tail in order) and the multiply-adds into the sums.
template <int P, bool kTargets, bool kPrefetch>
double pass_packets(const CgPassInput& row, const float* direction, double* out) {
  using Eigen::internal::padd;
  using Eigen::internal::pload;
  using Eigen::internal::ploadu;
  using Eigen::internal::pmadd;
  using Eigen::internal::pmul;
  using Eigen::internal::pset1;
  const int k = row.k;
  constexpr int kWhole = P * kPacketFloats;
  const int tail = k - kWhole;
  constexpr int kSlots = std::max(P, 1);  // arrays of packets of at least one
  Packet dir[kSlots];
  for (int p = 0; p < P; ++p) dir[p] = ploadu<Packet>(direction + p * kPacketFloats);
  const float v_bias = row.with_bias ? direction[k] : 0.0F;
  const int dim = k + (row.with_bias ? 1 : 0);
  std::fill(out, out + dim, 0.0);
  double squares = 0.0;
  const std::size_t n = row.ratings;
  for (std::size_t chunk = 0; chunk < n; chunk += RowSolver::kChunk) {
    const std::size_t chunk_end = std::min(n, chunk + RowSolver::kChunk);
    Packet acc[kSlots];
    for (auto& a : acc) a = pset1<Packet>(0.0F);
    std::array<float, kPacketFloats> tail_sums{};
    float bias_sum = 0.0F;
    for (std::size_t j = chunk; j < chunk_end; ++j) {
      prefetch_row<kPrefetch>(row, j);
      const float* f = row.features + row.slots[j] * row.feature_width;
      Packet x[kSlots];
      for (int p = 0; p < P; ++p) x[p] = ploadu<Packet>(f + p * kPacketFloats);
      float product = 0.0F;
      if constexpr (P == 1) {
        product = Eigen::internal::predux(pmul(x[0], dir[0]));
      } else if constexpr (P > 1) {
        Packet even = pmul(x[0], dir[0]);
        Packet odd = pmul(x[1], dir[1]);
        for (int p = 2; p < P; p += 2) even = pmadd(x[p], dir[p], even);
        for (int p = 3; p < P; p += 2) odd = pmadd(x[p], dir[p], odd);
        product = Eigen::internal::predux(padd(even, odd));
      }
      for (int c = 0; c < tail; ++c) product += f[kWhole + c] * direction[kWhole + c];
      product += v_bias;
      float e = -product;
      if constexpr (kTargets) {
        e = (row.values[j] - row.mu - bias_of(row, row.slots[j])) - product;
        squares += static_cast<double>(e) * e;
      }
      const Packet scale = pset1<Packet>(e);
      for (int p = 0; p < P; ++p) acc[p] = pmadd(scale, x[p], acc[p]);
      for (int c = 0; c < tail; ++c) tail_sums[c] += e * f[kWhole + c];
      bias_sum += e;
    }
    alignas(64) std::array<float, kSlots * kPacketFloats> lanes;
    for (int p = 0; p < P; ++p) Eigen::internal::pstore(lanes.data() + p * kPacketFloats, acc[p]);
    for (int c = 0; c < kWhole; ++c) out[c] += static_cast<double>(lanes[c]);
    for (int c = 0; c < tail; ++c) out[kWhole + c] += static_cast<double>(tail_sums[c]);
    if (row.with_bias) out[k] += static_cast<double>(bias_sum);
  }
  return squares;
}

/// Any k: the same sums, kept in memory.
template <bool kTargets, bool kPrefetch>
double pass_any(const CgPassInput& row, const float* direction, double* out) {
  using Eigen::internal::pload;
  using Eigen::internal::ploadu;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  using Eigen::internal::pstore;
  const int k = row.k;
  const int whole = k / kPacketFloats * kPacketFloats;
  const float v_bias = row.with_bias ? direction[k] : 0.0F;
  const int dim = k + (row.with_bias ? 1 : 0);
  std::fill(out, out + dim, 0.0);
  Eigen::VectorXf sums(static_cast<Eigen::Index>(cg_direction_size(k)));
  double squares = 0.0;
  const std::size_t n = row.ratings;
  for (std::size_t chunk = 0; chunk < n; chunk += RowSolver::kChunk) {
    const std::size_t chunk_end = std::min(n, chunk + RowSolver::kChunk);
    sums.setZero();
    float bias_sum = 0.0F;
    for (std::size_t j = chunk; j < chunk_end; ++j) {
      prefetch_row<kPrefetch>(row, j);
      const float* f = row.features + row.slots[j] * row.feature_width;
      Packet dot = pset1<Packet>(0.0F);
      for (int c = 0; c < whole; c += kPacketFloats) {
        dot = pmadd(ploadu<Packet>(f + c), ploadu<Packet>(direction + c), dot);
      }
      float product = Eigen::internal::predux(dot);
      for (int c = whole; c < k; ++c) product += f[c] * direction[c];
      product += v_bias;
      float e = -product;
      if constexpr (kTargets) {
        e = (row.values[j] - row.mu - bias_of(row, row.slots[j])) - product;
        squares += static_cast<double>(e) * e;
      }
      const Packet scale = pset1<Packet>(e);
      for (int c = 0; c < whole; c += kPacketFloats) {
        pstore(sums.data() + c,
               pmadd(scale, ploadu<Packet>(f + c), pload<Packet>(sums.data() + c)));
      }
      for (int c = whole; c < k; ++c) sums[c] += e * f[c];
      bias_sum += e;
    }
    for (int c = 0; c < k; ++c) out[c] += static_cast<double>(sums[c]);
    if (row.with_bias) out[k] += static_cast<double>(bias_sum);
  }
  return squares;
}

using PassKernel = double (*)(const CgPassInput&, const float*, double*);

template <bool kTargets, bool kPrefetch, std::size_t... P>
constexpr std::array<PassKernel, sizeof...(P)> make_passes(std::index_sequence<P...>) {
  return {&pass_packets<static_cast<int>(P), kTargets, kPrefetch>...};
}
using PassRow = std::array<PassKernel, kMaxPackets + 1>;
/// pass_packets<P, targets, prefetch> at [targets][prefetch][P].
constexpr std::array<std::array<PassRow, 2>, 2> kPasses{{
    {make_passes<false, false>(std::make_index_sequence<kMaxPackets + 1>()),
     make_passes<false, true>(std::make_index_sequence<kMaxPackets + 1>())},
    {make_passes<true, false>(std::make_index_sequence<kMaxPackets + 1>()),
     make_passes<true, true>(std::make_index_sequence<kMaxPackets + 1>())},
}};

template <bool kTargets>
double pass_any_prefetching(const CgPassInput& row, const float* direction, double* out,
                            bool prefetch) {
  return prefetch ? pass_any<kTargets, true>(row, direction, out)
                  : pass_any<kTargets, false>(row, direction, out);
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
  const bool prefetch = cg_pass_streams(row, with_targets);
  const int packets = row.k / kPacketFloats;
  if (packets <= kMaxPackets) {
    return kPasses[with_targets ? 1 : 0][prefetch ? 1 : 0][static_cast<std::size_t>(packets)](
        row, direction, out);
  }
  return with_targets ? pass_any_prefetching<true>(row, direction, out, prefetch)
                      : pass_any_prefetching<false>(row, direction, out, prefetch);
}

}  // namespace dmf::solvers
