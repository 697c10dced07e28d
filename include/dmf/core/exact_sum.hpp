// An exact sum of floats whose result does not depend on the order of the
// additions, nor on how the values were split over ranks: the global mean μ
// of the ratings must be bitwise the same for any number of ranks, because
// every factor depends on it (docs/design.md §5).
//
// Every float is m · 2^(e-150) with an integer mantissa m < 2^24 and a biased
// exponent e < 256. Mantissas are added into one 64-bit integer per
// exponent, which is exact and associative (2^39 values per exponent before
// overflow), and the buckets of all ranks are summed as integers.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>

namespace dmf {

class ExactSum {
 public:
  static constexpr std::size_t kBuckets = 256;

  void add(float value) noexcept {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    const std::uint32_t exponent = (bits >> 23U) & 0xFFU;
    std::int64_t mantissa = bits & 0x7FFFFFU;
    if (exponent != 0) mantissa |= 0x800000;  // the implicit leading bit
    buckets_[exponent] += (bits >> 31U) != 0 ? -mantissa : mantissa;
  }

  /// The buckets, to be summed element-wise over ranks (an allreduce).
  [[nodiscard]] std::span<std::int64_t, kBuckets> buckets() noexcept { return buckets_; }

  /// The sum, rounded once more to double in a fixed order: the same for
  /// the same buckets. (Inf and NaN inputs are not supported.)
  [[nodiscard]] double value() const noexcept {
    long double total = 0.0L;
    for (std::size_t e = 0; e < kBuckets; ++e) {
      if (buckets_[e] == 0) continue;
      const int scale = (e == 0 ? 1 : static_cast<int>(e)) - 150;
      total += std::ldexp(static_cast<long double>(buckets_[e]), scale);
    }
    return static_cast<double>(total);
  }

 private:
  std::array<std::int64_t, kBuckets> buckets_{};
};

}  // namespace dmf
