#include "dmf/solvers/gd/optimizer.hpp"

namespace dmf::solvers {

double default_learning_rate(OptimizerKind kind) noexcept {
  // Tuned on generated MovieLens-shaped data (jobs/bench/gd.sh); gd scales
  // each row's gradient by its ratings in the step, so one rate fits rows of
  // any degree and any batch size.
  switch (kind) {
    case OptimizerKind::kSgd:
      return 0.05;
    case OptimizerKind::kMomentum:
      return 0.005;
    case OptimizerKind::kNesterov:
      return 0.005;
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

}  // namespace dmf::solvers
