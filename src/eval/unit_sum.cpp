#include "dmf/eval/unit_sum.hpp"

#include <cmath>

#include "dmf/core/error.hpp"

namespace dmf::eval {
namespace {

constexpr int kFractionBits = 62;

}  // namespace

void UnitIntervalSum::add(double value) {
  DMF_CHECK(value >= 0.0 && value <= 1.0, "UnitIntervalSum: {} is outside [0, 1]", value);
  // value · 2^62 ≤ 2^62 fits a 64-bit word; llround rounds halves away from 0.
  add_units(static_cast<std::uint64_t>(std::llround(std::ldexp(value, kFractionBits))));
}

void UnitIntervalSum::add(const UnitIntervalSum& other) noexcept {
  high_ += other.high_;
  add_units(other.low_);
}

double UnitIntervalSum::value() const noexcept {
  const long double units =
      std::ldexp(static_cast<long double>(high_), 64) + static_cast<long double>(low_);
  return static_cast<double>(std::ldexp(units, -kFractionBits));
}

}  // namespace dmf::eval
