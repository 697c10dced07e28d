// What the trainer loop drives (DESIGN.md §8: "the trainer loop does not
// know which solver runs"). A solver owns its working state and updates the
// model in place, one epoch per call.
#pragma once

#include <cstdint>
#include <string_view>

#include "dmf/solvers/objective.hpp"

namespace dmf::solvers {

/// Communication of one epoch, this rank's sends.
struct Traffic {
  std::uint64_t bytes_sent = 0;  // to other ranks
};

class Solver {
 public:
  Solver() = default;
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;
  virtual ~Solver() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  /// Collective: one epoch over the training ratings; returns the objective
  /// of the model after it.
  virtual Objective epoch() = 0;
  /// Collective: the objective of the model as it is now, computed afresh.
  [[nodiscard]] virtual Objective objective() = 0;
  /// What one epoch sends to other ranks.
  [[nodiscard]] virtual Traffic traffic_per_epoch() const = 0;
};

}  // namespace dmf::solvers
