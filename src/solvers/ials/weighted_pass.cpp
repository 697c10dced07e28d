#include "dmf/solvers/ials/weighted_pass.hpp"

#include <algorithm>
#include <array>
#include <utility>

// The pass over a row's observations is explicit ALS's conjugate-gradient
// pass with weighted errors (als/error_sums.hpp); its SIMD packet and
// prefetch constants serve the Gram kernels here too.
#include "../als/error_sums.hpp"

namespace dmf::solvers {
namespace {

using als_simd::kPacketFloats;
using als_simd::kPrefetchAhead;
using als_simd::Packet;

/// Whole packets of k the Gram kernels keep in registers, as the passes.
constexpr int kMaxWeightedPackets = als_simd::kMaxSumPackets;
static_assert(kWeightedChunk == als_simd::kSumChunk);

/// e_j = t_j − w_j (y_j·v) with targets, −w_j (y_j·v) without
/// (weighted_pass.hpp).
template <bool kTargets>
struct WeightedTerms {
  // The feature rows are scattered over the other side's matrix, in L3 or
  // memory, on every pass.
  static constexpr bool kPrefetch = true;

  float error(std::size_t j, float product) const {
    if constexpr (kTargets) return row.targets[j] - row.weights[j] * product;
    return -(row.weights[j] * product);
  }
  void chunk_done() const {}

  const WeightedPassInput& row;
};

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
  const als_simd::SlotRows rows{row.slots, row.count, row.features, row.stride, row.k};
  if (with_targets) {
    WeightedTerms<true> terms{row};
    als_simd::error_sums(terms, rows, direction, out);
  } else {
    WeightedTerms<false> terms{row};
    als_simd::error_sums(terms, rows, direction, out);
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
