// Learning-rate schedules (docs/design.md §4). Time t is measured in epochs, as
// a fraction (steps taken / steps per epoch), so a schedule means the same
// whatever the batch size; under full-batch gd t is the iteration count.
//   constant   η = η0
//   inv-sqrt   η = η0 / √(t + c)
//   inv        η = η0 · t1 / (t + t1)    (the classic t0 / (t + t1), t0 = η0·t1)
//   step       η = η0 · factor^⌊t / every⌋
#pragma once

#include <array>
#include <span>

#include "dmf/core/enum_names.hpp"

namespace dmf::solvers {

enum class ScheduleKind { kConstant, kInvSqrt, kInv, kStep };

inline std::span<const EnumName<ScheduleKind>> enum_names(ScheduleKind /*tag*/) {
  static constexpr std::array<EnumName<ScheduleKind>, 4> kNames{{
      {ScheduleKind::kConstant, "constant"},
      {ScheduleKind::kInvSqrt, "inv-sqrt"},
      {ScheduleKind::kInv, "inv"},
      {ScheduleKind::kStep, "step"},
  }};
  return kNames;
}

struct Schedule {
  ScheduleKind kind = ScheduleKind::kConstant;
  double c = 1.0;            // inv-sqrt
  double t1 = 10.0;          // inv, in epochs
  double step_every = 4.0;   // step, in epochs
  double step_factor = 0.5;  // step

  /// The learning rate at time `t` (epochs) for a base rate `lr0`.
  [[nodiscard]] double rate(double lr0, double t) const noexcept;
};

}  // namespace dmf::solvers
