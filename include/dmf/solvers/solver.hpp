// What the trainer loop drives (docs/design.md §4: "the trainer loop does not
// know which solver runs"). A solver owns its working state and updates the
// model in place, one epoch per call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dmf/solvers/objective.hpp"
#include "dmf/solvers/solver_state.hpp"

namespace dmf::solvers {

/// Communication of one epoch, this rank's sends.
struct Traffic {
  std::uint64_t bytes_sent = 0;  // to other ranks
};

/// Called by a solver between two steps of an epoch, a safe point: there
/// snapshot() captures a state that resumes exactly. Returning true ends the
/// epoch there.
using BetweenSteps = std::function<bool()>;

class Solver {
 public:
  Solver() = default;
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;
  virtual ~Solver() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  /// Collective: one epoch over the training ratings; returns the objective
  /// of the model after it. When `between_steps` (if given) asks to stop,
  /// returns nothing and holds the state after the last step; the next call
  /// goes on with the rest of the epoch. Solvers whose epoch is one step
  /// (als) never call it.
  virtual std::optional<Objective> run_epoch(const BetweenSteps& between_steps) = 0;
  /// Collective: one whole epoch.
  Objective epoch() { return *run_epoch({}); }
  /// Collective: the objective of the model as it is now, computed afresh.
  [[nodiscard]] virtual Objective objective() = 0;
  /// What one epoch sends to other ranks.
  [[nodiscard]] virtual Traffic traffic_per_epoch() const = 0;
  /// The solver's settings and counters, for the model's manifest
  /// ("solver_state", next to its name).
  [[nodiscard]] virtual nlohmann::json report() const { return nlohmann::json::object(); }
  /// Steps within an epoch that the progress display counts (0: an epoch is
  /// one step, shown as a whole).
  [[nodiscard]] virtual std::uint64_t progress_steps() const { return 0; }

  /// This rank's state now (the trainer keeps the last good and the best).
  [[nodiscard]] virtual std::unique_ptr<SolverState> snapshot() const = 0;
  /// Back to a state snapshot() returned, model included. Collective.
  virtual void restore(const SolverState& state) = 0;
  /// Collective: a state saved from SolverState::arrays() and counters(),
  /// by any number of ranks, read back for this rank's rows.
  [[nodiscard]] virtual std::unique_ptr<SolverState> load_state(
      const StateSource& source) const = 0;
  /// The solver's own settings that outlive restore() (the learning-rate
  /// backoff), for a checkpoint, and back.
  [[nodiscard]] virtual nlohmann::json settings_state() const { return nlohmann::json::object(); }
  virtual void restore_settings(const nlohmann::json& /*saved*/) {}
  /// Multiplies the learning rate by `factor` (divergence backoff); false
  /// when the solver has no learning rate.
  virtual bool reduce_learning_rate(double /*factor*/) { return false; }
  /// The learning rate of the next step, for solvers that have one.
  [[nodiscard]] virtual std::optional<double> learning_rate() const { return std::nullopt; }
  /// Collective: ‖θ − θ_before‖ / ‖θ_before‖ over every factor and bias.
  [[nodiscard]] virtual double relative_change(const SolverState& before) = 0;
  /// Collective: ‖∇L‖ / |Ω| at the current model, for solvers that follow
  /// the gradient (nothing otherwise).
  [[nodiscard]] virtual std::optional<double> gradient_norm() { return std::nullopt; }
};

}  // namespace dmf::solvers
