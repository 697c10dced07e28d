// The one SIMD pass over a row's ratings that conjugate gradient needs, for
// explicit ALS (cg_pass.cpp) and implicit ALS (ials/weighted_pass.cpp)
// alike: with q_j the feature row of rating j and v a direction,
//   out[0 .. k) = Σ_j e_j q_j,   e_j = terms.error(j, q_j·v).
// What e_j is (a rating's residual, a confidence-weighted product, with or
// without a bias) is the caller's `Terms`; the pass fixes the order of every
// float operation, so a result depends on k and the instruction set alone,
// never on threads, ranks or where the feature rows lie (docs/design.md §5):
// - q_j·v: the whole packets in two interleaved chains (even and odd
//   packets), added, reduced across lanes in Eigen's fixed order, then the
//   tail (k mod packet) in order; rows wider than kMaxSumPackets in one chain;
// - the sums: in float over chunks of kSumChunk ratings in stored order,
//   each chunk's added to `out` in double.
// A feature row is loaded once, and is in registers between its product and
// its multiply-add.
//
// `Terms` provides:
//   static constexpr bool kPrefetch;  prefetch the feature rows ahead
//   float error(std::size_t j, float product);  e_j
//   void chunk_done();  after a chunk's ratings (flush its own sums)
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

#include "simd.hpp"

namespace dmf::solvers::als_simd {

/// Ratings whose float sums are added in double at a time: float rounding
/// stays near 1e-6 relative for rows of any length.
inline constexpr std::size_t kSumChunk = 256;

/// Whole packets of k the specialized passes keep in registers (k below 9
/// packets: 144 with AVX-512, 72 with AVX); wider rows take error_sums_any,
/// which keeps its sums in memory.
inline constexpr int kMaxSumPackets = 8;

/// The feature rows a pass reads through a row's slots.
struct SlotRows {
  const std::uint32_t* slots = nullptr;  // per rating: its feature row
  std::size_t count = 0;                 // ratings
  const float* features = nullptr;       // feature row s at features + s · stride
  std::size_t stride = 0;
  int k = 0;

  [[nodiscard]] const float* row(std::size_t j) const noexcept {
    return features + slots[j] * stride;
  }
};

/// Prefetches the feature row kPrefetchAhead ratings ahead of j.
template <bool kPrefetch>
inline void prefetch_ahead(const SlotRows& rows, std::size_t j) {
  if (!kPrefetch || j + kPrefetchAhead >= rows.count) return;
  prefetch_floats(rows.row(j + kPrefetchAhead), static_cast<std::size_t>(rows.k));
}

/// The pass for k = P packets + a tail shorter than a packet: the direction
/// and a chunk's sums stay in registers.
template <int P, class Terms>
void error_sums_packets(Terms& terms, const SlotRows& rows, const float* direction, double* out) {
  using Eigen::internal::padd;
  using Eigen::internal::ploadu;
  using Eigen::internal::pmadd;
  using Eigen::internal::pmul;
  using Eigen::internal::pset1;
  const int k = rows.k;
  constexpr int kWhole = P * kPacketFloats;
  const int tail = k - kWhole;
  constexpr int kSlots = std::max(P, 1);  // arrays of packets of at least one
  Packet dir[kSlots];
  for (int p = 0; p < P; ++p) dir[p] = ploadu<Packet>(direction + p * kPacketFloats);
  std::fill(out, out + k, 0.0);
  const std::size_t n = rows.count;
  for (std::size_t chunk = 0; chunk < n; chunk += kSumChunk) {
    const std::size_t chunk_end = std::min(n, chunk + kSumChunk);
    Packet acc[kSlots];
    for (auto& a : acc) a = pset1<Packet>(0.0F);
    std::array<float, kPacketFloats> tail_sums{};
    for (std::size_t j = chunk; j < chunk_end; ++j) {
      prefetch_ahead<Terms::kPrefetch>(rows, j);
      const float* f = rows.row(j);
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
      const float e = terms.error(j, product);
      const Packet scale = pset1<Packet>(e);
      for (int p = 0; p < P; ++p) acc[p] = pmadd(scale, x[p], acc[p]);
      for (int c = 0; c < tail; ++c) tail_sums[c] += e * f[kWhole + c];
    }
    alignas(64) std::array<float, kSlots * kPacketFloats> lanes;
    for (int p = 0; p < P; ++p) Eigen::internal::pstore(lanes.data() + p * kPacketFloats, acc[p]);
    for (int c = 0; c < kWhole; ++c) out[c] += static_cast<double>(lanes[c]);
    for (int c = 0; c < tail; ++c) out[kWhole + c] += static_cast<double>(tail_sums[c]);
    terms.chunk_done();
  }
}

/// Any k: the same sums (the product in one chain), kept in memory.
template <class Terms>
void error_sums_any(Terms& terms, const SlotRows& rows, const float* direction, double* out) {
  using Eigen::internal::pload;
  using Eigen::internal::ploadu;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  using Eigen::internal::pstore;
  const int k = rows.k;
  const int whole = k / kPacketFloats * kPacketFloats;
  std::fill(out, out + k, 0.0);
  // Sized at the first call on a thread and reused: no allocation per row.
  thread_local Eigen::VectorXf sums;
  const auto padded = static_cast<Eigen::Index>(whole + (whole < k ? kPacketFloats : 0));
  if (sums.size() < padded) sums.resize(padded);
  const std::size_t n = rows.count;
  for (std::size_t chunk = 0; chunk < n; chunk += kSumChunk) {
    const std::size_t chunk_end = std::min(n, chunk + kSumChunk);
    sums.setZero();
    for (std::size_t j = chunk; j < chunk_end; ++j) {
      prefetch_ahead<Terms::kPrefetch>(rows, j);
      const float* f = rows.row(j);
      Packet dot = pset1<Packet>(0.0F);
      for (int c = 0; c < whole; c += kPacketFloats) {
        dot = pmadd(ploadu<Packet>(f + c), ploadu<Packet>(direction + c), dot);
      }
      float product = Eigen::internal::predux(dot);
      for (int c = whole; c < k; ++c) product += f[c] * direction[c];
      const float e = terms.error(j, product);
      const Packet scale = pset1<Packet>(e);
      for (int c = 0; c < whole; c += kPacketFloats) {
        pstore(sums.data() + c,
               pmadd(scale, ploadu<Packet>(f + c), pload<Packet>(sums.data() + c)));
      }
      for (int c = whole; c < k; ++c) sums[c] += e * f[c];
    }
    for (int c = 0; c < k; ++c) out[c] += static_cast<double>(sums[c]);
    terms.chunk_done();
  }
}

/// error_sums_packets<P> for k of P = k / packet whole packets, else
/// error_sums_any.
template <class Terms>
void error_sums(Terms& terms, const SlotRows& rows, const float* direction, double* out) {
  using Kernel = void (*)(Terms&, const SlotRows&, const float*, double*);
  static constexpr auto kKernels = []<std::size_t... P>(std::index_sequence<P...>) {
    return std::array<Kernel, sizeof...(P)>{&error_sums_packets<static_cast<int>(P), Terms>...};
  }
  (std::make_index_sequence<kMaxSumPackets + 1>());
  const int packets = rows.k / kPacketFloats;
  if (packets <= kMaxSumPackets) {
    kKernels[static_cast<std::size_t>(packets)](terms, rows, direction, out);
  } else {
    error_sums_any(terms, rows, direction, out);
  }
}

}  // namespace dmf::solvers::als_simd
