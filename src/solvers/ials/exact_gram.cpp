#include "dmf/solvers/ials/exact_gram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "dmf/core/parallel.hpp"

namespace dmf::solvers {
namespace {

/// Totals stay below 2^kTotalBits, so that 64-bit integers never overflow.
constexpr int kTotalBits = 62;
/// Products a thread sums at least (about 0.1 ms of work).
constexpr std::uint64_t kMinTerms = 1 << 18;
/// A register tile of the Gram sums: kTileRows rows a by kTileLanes columns b,
/// 64 64-bit sums in 8 vectors (GCC/Clang vector types: the compiler picks
/// the instructions, AVX-512's vcvttpd2qq for the truncation where it has
/// it, two AVX2 halves elsewhere).
constexpr std::size_t kTileLanes = 8;
using Doubles = double __attribute__((vector_size(kTileLanes * sizeof(double))));
using Longs = std::int64_t __attribute__((vector_size(kTileLanes * sizeof(std::int64_t))));
constexpr std::size_t kTileRows = 8;
/// Factor rows converted to double at a time: two copies of 16 rows of
/// k = 64 are 16 KB, in L1 for every tile.
constexpr std::uint32_t kGramRowBlock = 16;

/// sums[a·k + b] += Σ over the block's rows of trunc(left_a · right_b) for
/// the tile at (a0, b0), the entries a < k, b < k, b ≥ a (the others are
/// computed and dropped): the sums stay in registers over the rows.
void add_gram_tile(const double* left, const double* right, std::size_t rows, std::size_t stride,
                   std::size_t k, std::size_t a0, std::size_t b0, std::span<std::int64_t> sums) {
  Longs tile[kTileRows] = {};
  for (std::size_t r = 0; r < rows; ++r) {
    const double* a = left + r * stride + a0;
    Doubles b;
    std::memcpy(&b, right + r * stride + b0, sizeof(b));
    for (std::size_t i = 0; i < kTileRows; ++i) tile[i] += __builtin_convertvector(a[i] * b, Longs);
  }
  for (std::size_t i = 0; i < kTileRows && a0 + i < k; ++i) {
    for (std::size_t l = 0; l < kTileLanes && b0 + l < k; ++l) {
      if (b0 + l >= a0 + i) sums[(a0 + i) * k + b0 + l] += tile[i][l];
    }
  }
}

}  // namespace

int gram_exponent(float largest, std::uint64_t rows) {
  int square_exponent = 0;  // largest² < 2^square_exponent
  static_cast<void>(std::frexp(static_cast<double>(largest) * largest, &square_exponent));
  const auto row_bits =
      static_cast<int>(std::bit_width(std::max<std::uint64_t>(rows, 1)));  // rows < 2^row_bits
  return kTotalBits - square_exponent - row_bits;
}

void add_gram_terms(const model::FactorBlock& block, std::uint32_t begin, std::uint32_t end,
                    int exponent, std::span<std::int64_t> sums) {
  const auto k = block.width();
  // Each term y_a·y_b·2^s is (y_a·2^s₁)(y_b·2^s₂) with s₁ + s₂ = s: both
  // factors are exact (a float times a power of two), and so is their
  // product (a 24-bit by 24-bit mantissa product fits a double's 53 bits);
  // truncated to an integer. The integers are the same whatever the
  // tiling, and so are their exact sums.
  const int left_exponent = exponent / 2;
  const double left_scale = std::ldexp(1.0, left_exponent);
  const double right_scale = std::ldexp(1.0, exponent - left_exponent);
  // The block's rows in double, scaled, k padded with zeros to whole tiles.
  const std::size_t stride = (k + kTileLanes - 1) / kTileLanes * kTileLanes;
  std::vector<double> left(kGramRowBlock * stride, 0.0);
  std::vector<double> right(kGramRowBlock * stride, 0.0);
  for (std::uint32_t first = begin; first < end; first += kGramRowBlock) {
    const std::size_t rows = std::min<std::uint32_t>(end, first + kGramRowBlock) - first;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::span<const float> y = block.row(first + static_cast<std::uint32_t>(r));
      for (std::size_t a = 0; a < k; ++a) {
        left[r * stride + a] = static_cast<double>(y[a]) * left_scale;
        right[r * stride + a] = static_cast<double>(y[a]) * right_scale;
      }
    }
    // The tiles on or above the diagonal.
    for (std::size_t a0 = 0; a0 < k; a0 += kTileRows) {
      for (std::size_t b0 = a0 / kTileLanes * kTileLanes; b0 < k; b0 += kTileLanes) {
        add_gram_tile(left.data(), right.data(), rows, stride, k, a0, b0, sums);
      }
    }
  }
}

std::vector<double> gram_from_sums(std::span<const std::int64_t> sums, std::size_t k,
                                   int exponent) {
  std::vector<double> gram(k * k, 0.0);
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t b = a; b < k; ++b) {
      const double value = std::ldexp(static_cast<double>(sums[a * k + b]), -exponent);
      gram[a * k + b] = value;
      gram[b * k + a] = value;
    }
  }
  return gram;
}

std::vector<double> exact_gram(const dist::Comm& comm, const model::FactorBlock& block,
                               int threads) {
  const auto k = block.width();
  float largest = 0.0F;
  for (const float v : block.factors) largest = std::max(largest, std::abs(v));
  largest = comm.allreduce(largest, dist::Op::kMax);  // exact: the same on every rank
  if (largest == 0.0F || k == 0) return std::vector<double>(k * k, 0.0);
  const int exponent = gram_exponent(largest, block.total_rows);

  // Each thread sums a contiguous share of the rows; integer sums make the
  // split irrelevant to the result. A thread takes at least kMinTerms
  // products: waking threads for less costs more than it saves.
  const std::uint64_t terms = static_cast<std::uint64_t>(block.rows) * k * (k + 1) / 2;
  const auto most = static_cast<int>(std::min<std::uint64_t>(terms / kMinTerms, 1024));
  const int parts = std::max(1, std::min(threads, most));
  std::vector<std::vector<std::int64_t>> partial(static_cast<std::size_t>(parts),
                                                 std::vector<std::int64_t>(k * k, 0));
  parallel_for(parts, parts, [&](std::int64_t t) {
    const auto share = [&](std::int64_t p) {
      return static_cast<std::uint32_t>(static_cast<std::uint64_t>(block.rows) *
                                        static_cast<std::uint64_t>(p) /
                                        static_cast<std::uint64_t>(parts));
    };
    add_gram_terms(block, share(t), share(t + 1), exponent, partial[static_cast<std::size_t>(t)]);
  });
  std::vector<std::int64_t> sums(k * k, 0);
  for (const auto& p : partial) {
    for (std::size_t e = 0; e < sums.size(); ++e) sums[e] += p[e];
  }
  comm.allreduce(std::span(sums), dist::Op::kSum);
  return gram_from_sums(sums, k, exponent);
}

}  // namespace dmf::solvers
