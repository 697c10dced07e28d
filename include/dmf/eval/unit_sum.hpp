// A sum of values in [0, 1] (per-user ranking metrics) that does not depend
// on the order of the additions nor on how the values are split over ranks,
// so the mean printed by `dmf eval` is bitwise the same for any number of
// ranks (docs/design.md §5). Each value is rounded once to a multiple of
// 2^-62 — a fixed function of the value — and added as an integer into 128
// bits (two words), which is exact and associative for up to 2^66 values.
#pragma once

#include <cstdint>

namespace dmf::eval {

class UnitIntervalSum {
 public:
  /// Adds `value`, which must lie in [0, 1].
  void add(double value);

  /// Adds another sum (another rank's, or another thread's).
  void add(const UnitIntervalSum& other) noexcept;

  /// The sum, rounded to double.
  [[nodiscard]] double value() const noexcept;

 private:
  void add_units(std::uint64_t units) noexcept {
    low_ += units;
    if (low_ < units) ++high_;  // carry
  }

  std::uint64_t low_ = 0;  // the sum in units of 2^-62: high_ · 2^64 + low_
  std::uint64_t high_ = 0;
};

}  // namespace dmf::eval
