#include "dmf/solvers/ials/weighted_pass.hpp"

#include <algorithm>
#include <array>
#include <utility>

// Explicit ALS's SIMD packet and prefetch constants (read only: the packet
// type, its width, how far ahead to prefetch).
#include "../als/simd.hpp"

namespace dmf::solvers {
namespace {

using als_simd::kPacketFloats;
using als_simd::kPrefetchAhead;
using als_simd::Packet;

/// Whole packets of k the specialized kernels keep in registers (k below 9
/// packets: 144 with AVX-512, 72 with AVX); wider rows take the generic
/// kernels, which keep their sums in memory.
constexpr int kMaxWeightedPackets = 8;

/// Prefetches the feature row of observation j + kPrefetchAhead: the rows
/// are scattered over the other side's matrix, in L3 or memory.
inline void prefetch_feature(const WeightedPassInput& row, std::size_t j) {
  if (j + kPrefetchAhead >= row.count) return;
  // (als_simd::prefetch_floats: a loop of Eigen's prefetch alone is deleted
  // by GCC at -O2, see simd.hpp)
  als_simd::prefetch_floats(row.features + row.slots[j + kPrefetchAhead] * row.stride,
                            static_cast<std::size_t>(row.k));
}

/// e_j of observation j from its product y_j·v.
template <bool kTargets>
inline float weighted_error(const WeightedPassInput& row, std::size_t j, float product) {
  if constexpr (kTargets) return row.targets[j] - row.weights[j] * product;
  return -(row.weights[j] * product);
}

/// The pass for k = P packets + a tail shorter than a packet: the direction
/// and the chunk's sums stay in registers; per observation the feature
/// row's packets are loaded once for the product (two interleaved chains,
/// even and odd packets, added, then across lanes in Eigen's fixed order,
/// then the tail in order) and the multiply-adds into the sums.
template <int P, bool kTargets>
void weighted_packets(const WeightedPassInput& row, const float* direction, double* out) {
  using Eigen::internal::padd;
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
  std::fill(out, out + k, 0.0);
  const std::size_t n = row.count;
  for (std::size_t chunk = 0; chunk < n; chunk += kWeightedChunk) {
    const std::size_t chunk_end = std::min(n, chunk + kWeightedChunk);
    Packet acc[kSlots];
    for (auto& a : acc) a = pset1<Packet>(0.0F);
    std::array<float, kPacketFloats> tail_sums{};
    for (std::size_t j = chunk; j < chunk_end; ++j) {
      prefetch_feature(row, j);
      const float* f = row.features + row.slots[j] * row.stride;
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
      const float e = weighted_error<kTargets>(row, j, product);
      const Packet scale = pset1<Packet>(e);
      for (int p = 0; p < P; ++p) acc[p] = pmadd(scale, x[p], acc[p]);
      for (int c = 0; c < tail; ++c) tail_sums[c] += e * f[kWhole + c];
    }
    alignas(64) std::array<float, kSlots * kPacketFloats> lanes;
    for (int p = 0; p < P; ++p) Eigen::internal::pstore(lanes.data() + p * kPacketFloats, acc[p]);
    for (int c = 0; c < kWhole; ++c) out[c] += static_cast<double>(lanes[c]);
    for (int c = 0; c < tail; ++c) out[kWhole + c] += static_cast<double>(tail_sums[c]);
  }
}

/// Any k: the same sums (one product chain), kept in memory.
template <bool kTargets>
void weighted_any(const WeightedPassInput& row, const float* direction, double* out) {
  using Eigen::internal::pload;
  using Eigen::internal::ploadu;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  using Eigen::internal::pstore;
  const int k = row.k;
  const int whole = k / kPacketFloats * kPacketFloats;
  std::fill(out, out + k, 0.0);
  // Sized at the first call on a thread and reused: no allocation per row.
  thread_local Eigen::VectorXf sums;
  if (sums.size() < static_cast<Eigen::Index>(padded_rank(k))) {
    sums.resize(static_cast<Eigen::Index>(padded_rank(k)));
  }
  const std::size_t n = row.count;
  for (std::size_t chunk = 0; chunk < n; chunk += kWeightedChunk) {
    const std::size_t chunk_end = std::min(n, chunk + kWeightedChunk);
    sums.setZero();
    for (std::size_t j = chunk; j < chunk_end; ++j) {
      prefetch_feature(row, j);
      const float* f = row.features + row.slots[j] * row.stride;
      Packet dot = pset1<Packet>(0.0F);
      for (int c = 0; c < whole; c += kPacketFloats) {
        dot = pmadd(ploadu<Packet>(f + c), ploadu<Packet>(direction + c), dot);
      }
      float product = Eigen::internal::predux(dot);
      for (int c = whole; c < k; ++c) product += f[c] * direction[c];
      const float e = weighted_error<kTargets>(row, j, product);
      const Packet scale = pset1<Packet>(e);
      for (int c = 0; c < whole; c += kPacketFloats) {
        pstore(sums.data() + c,
               pmadd(scale, ploadu<Packet>(f + c), pload<Packet>(sums.data() + c)));
      }
      for (int c = whole; c < k; ++c) sums[c] += e * f[c];
    }
    for (int c = 0; c < k; ++c) out[c] += static_cast<double>(sums[c]);
  }
}

using WeightedKernel = void (*)(const WeightedPassInput&, const float*, double*);

template <bool kTargets, std::size_t... P>
constexpr std::array<WeightedKernel, sizeof...(P)> make_weighted(std::index_sequence<P...>) {
  return {&weighted_packets<static_cast<int>(P), kTargets>...};
}
/// weighted_packets<P, targets> at [targets][P].
constexpr std::array<std::array<WeightedKernel, kMaxWeightedPackets + 1>, 2> kWeightedPasses{
    make_weighted<false>(std::make_index_sequence<kMaxWeightedPackets + 1>()),
    make_weighted<true>(std::make_index_sequence<kMaxWeightedPackets + 1>())};

/// out = G v for G of L packets a column (k ≤ L packets): the sums in
/// registers, column c's multiply-adds in c order.
template <int L>
void gram_packets(const float* columns, std::size_t ld, int k, const float* v, double* out) {
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  Packet acc[L];
  for (auto& a : acc) a = pset1<Packet>(0.0F);
  for (int c = 0; c < k; ++c) {
    const float* column = columns + static_cast<std::size_t>(c) * ld;
    const Packet scale = pset1<Packet>(v[c]);
    for (int p = 0; p < L; ++p)
      acc[p] = pmadd(pload<Packet>(column + p * kPacketFloats), scale, acc[p]);
  }
  alignas(64) std::array<float, L * kPacketFloats> lanes;
  for (int p = 0; p < L; ++p) Eigen::internal::pstore(lanes.data() + p * kPacketFloats, acc[p]);
  for (int r = 0; r < k; ++r) out[r] = static_cast<double>(lanes[static_cast<std::size_t>(r)]);
}

/// Any k: the same sums, kept in memory.
void gram_any(const float* columns, std::size_t ld, int k, const float* v, double* out) {
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  using Eigen::internal::pstore;
  thread_local Eigen::VectorXf sums;
  if (sums.size() < static_cast<Eigen::Index>(ld)) sums.resize(static_cast<Eigen::Index>(ld));
  sums.setZero();
  for (int c = 0; c < k; ++c) {
    const float* column = columns + static_cast<std::size_t>(c) * ld;
    const Packet scale = pset1<Packet>(v[c]);
    for (std::size_t r = 0; r < ld; r += kPacketFloats) {
      pstore(sums.data() + r,
             pmadd(pload<Packet>(column + r), scale, pload<Packet>(sums.data() + r)));
    }
  }
  for (int r = 0; r < k; ++r) out[r] = static_cast<double>(sums[r]);
}

using GramKernel = void (*)(const float*, std::size_t, int, const float*, double*);

template <std::size_t... L>
constexpr std::array<GramKernel, sizeof...(L)> make_gram(std::index_sequence<L...>) {
  return {&gram_packets<static_cast<int>(L) + 1>...};
}
/// gram_packets<L> at [L − 1].
constexpr std::array<GramKernel, kMaxWeightedPackets + 1> kGramKernels{
    make_gram(std::make_index_sequence<kMaxWeightedPackets + 1>())};

}  // namespace

std::size_t padded_rank(int k) {
  return static_cast<std::size_t>((k + kPacketFloats - 1) / kPacketFloats * kPacketFloats);
}

void prefetch_first_features(const WeightedPassInput& row) {
  const std::size_t first = std::min(row.count, kPrefetchAhead);
  const auto k = static_cast<std::size_t>(row.k);
  for (std::size_t j = 0; j < first; ++j) {
    als_simd::prefetch_floats(row.features + row.slots[j] * row.stride, k);
  }
}

void weighted_pass(const WeightedPassInput& row, const float* direction, bool with_targets,
                   double* out) {
  const int packets = row.k / kPacketFloats;
  if (packets <= kMaxWeightedPackets) {
    kWeightedPasses[with_targets ? 1 : 0][static_cast<std::size_t>(packets)](row, direction, out);
  } else if (with_targets) {
    weighted_any<true>(row, direction, out);
  } else {
    weighted_any<false>(row, direction, out);
  }
}

PackedGram::PackedGram(std::span<const double> gram, int k)
    : k_(k), ld_(padded_rank(k)), data_(Eigen::VectorXf::Zero(static_cast<Eigen::Index>(ld_) * k)) {
  const auto size = static_cast<std::size_t>(k);
  for (std::size_t c = 0; c < size; ++c) {
    for (std::size_t r = 0; r < size; ++r) {
      data_[static_cast<Eigen::Index>(c * ld_ + r)] = static_cast<float>(gram[c * size + r]);
    }
  }
}

void PackedGram::multiply(const float* vector, double* out) const {
  const std::size_t packets = ld_ / kPacketFloats;
  if (packets == 0) return;
  if (packets <= kGramKernels.size()) {
    kGramKernels[packets - 1](data_.data(), ld_, k_, vector, out);
  } else {
    gram_any(data_.data(), ld_, k_, vector, out);
  }
}

}  // namespace dmf::solvers
