#include "dmf/solvers/gd/schedule.hpp"

#include <cmath>

namespace dmf::solvers {

double Schedule::rate(double lr0, double t) const noexcept {
  switch (kind) {
    case ScheduleKind::kConstant:
      return lr0;
    case ScheduleKind::kInvSqrt:
      return lr0 / std::sqrt(t + c);
    case ScheduleKind::kInv:
      return lr0 * t1 / (t + t1);
    case ScheduleKind::kStep:
      return lr0 * std::pow(step_factor, std::floor(t / step_every));
  }
  return lr0;
}

}  // namespace dmf::solvers
