#include "dmf/solvers/ials/exact_gram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "dmf/core/parallel.hpp"

namespace dmf::solvers {
namespace {

/// Totals stay below 2^kTotalBits, so that 64-bit integers never overflow.
constexpr int kTotalBits = 62;
/// Products a thread sums at least (about 0.1 ms of work).
constexpr std::uint64_t kMinTerms = 1 << 18;

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
  const double scale = std::ldexp(1.0, exponent);
  for (std::uint32_t r = begin; r < end; ++r) {
    const std::span<const float> y = block.row(r);
    for (std::size_t a = 0; a < k; ++a) {
      // y_a·2^s is exact (a power of two), and so is its product with a
      // float: a 24-bit by 24-bit mantissa product fits a double's 53 bits.
      const double scaled = static_cast<double>(y[a]) * scale;
      std::int64_t* out = sums.data() + a * k;
      for (std::size_t b = a; b < k; ++b) {
        out[b] += static_cast<std::int64_t>(scaled * static_cast<double>(y[b]));
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
