#include "dmf/solvers/gd/optimizer.hpp"

namespace dmf::solvers {

double default_learning_rate(OptimizerKind kind) noexcept {
  // Tuned on generated MovieLens-shaped data (jobs/bench/gd.sh); sgd,
  // momentum and nesterov with their default step schedule. gd scales
  // each row's gradient by its ratings in the step, so one rate fits rows of
  // any degree and any batch size.
  switch (kind) {
    case OptimizerKind::kSgd:
      return 0.1;
    case OptimizerKind::kMomentum:
      return 0.01;
    case OptimizerKind::kNesterov:
      return 0.01;
    case OptimizerKind::kAdagrad:
      return 0.1;
    case OptimizerKind::kAdagradAvg:
      return 0.01;
    case OptimizerKind::kRmsprop:
      return 0.01;
    case OptimizerKind::kAdam:
      return 0.01;
  }
  return 0.01;
}

void Optimizer::sizes_differ(std::size_t w, std::size_t g, std::size_t s0, std::size_t s1) {
  fail("optimizer step: {} parameters, {} gradients, state {} and {}", w, g, s0, s1);
}

}  // namespace dmf::solvers

namespace dmf::solvers {

ScheduleKind default_schedule(OptimizerKind kind) noexcept {
  switch (kind) {
    case OptimizerKind::kSgd:
    case OptimizerKind::kMomentum:
    case OptimizerKind::kNesterov:
      return ScheduleKind::kStep;
    default:
      return ScheduleKind::kConstant;
  }
}

}  // namespace dmf::solvers
