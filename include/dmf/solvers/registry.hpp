// The registered solvers: the one table `dmf train` learns its solvers from
// (docs/design.md §4). An entry gives the solver's name, a line saying what
// it does, and a function that declares the solver's own options in the
// train command's ParamSet, each marked as applying to that solver, bound to
// a SolverConfig that then builds the solver and estimates its memory.
// Nothing else in dmf names a solver: adding one is a folder
// src/solvers/<name>/ (+ include/dmf/solvers/<name>/) and a line in
// src/solvers/registry.cpp. An entry serves one kind of feedback; a --solver
// name may have an entry for each (als: explicit ALS, and implicit ALS under
// --feedback implicit).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/feedback.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/objective.hpp"
#include "dmf/solvers/solver.hpp"

namespace dmf::cli {
class ParamSet;
template <class T>
class Param;
}  // namespace dmf::cli

namespace dmf::solvers {

/// What every solver is built from. `ratings` and `model` must outlive it.
struct SolverInputs {
  const dist::Comm& comm;
  const data::RatingsData& ratings;
  model::Model& model;
  Regularization regularization;
  std::uint64_t seed = 1;  // of this run's initial model (and any sampling order)
  int threads = 1;
};

/// The sizes a memory estimate depends on, as one rank sees them after
/// loading (zero before).
struct MemoryShape {
  std::uint64_t local_users = 0;  // user rows this rank owns
  std::uint64_t local_items = 0;  // item rows this rank owns
  std::uint64_t total_users = 0;
  std::uint64_t total_items = 0;
  std::uint64_t user_ratings = 0;  // ratings in this rank's user block
  std::uint64_t item_ratings = 0;  // ratings in this rank's item block
  int k = 0;
  int threads = 1;

  /// Bytes of one factor row and its bias: (k + 1) floats.
  [[nodiscard]] double row_bytes() const noexcept {
    return (static_cast<double>(k) + 1.0) * sizeof(float);
  }
  /// Bytes of the rows this rank owns.
  [[nodiscard]] double own_bytes() const noexcept {
    return (static_cast<double>(local_users) + static_cast<double>(local_items)) * row_bytes();
  }
};

/// One item of a memory estimate: what it is and its bytes (a double: an
/// absurd --rank must not overflow the sum).
struct MemoryPart {
  std::string what;
  double bytes = 0.0;
};

/// One solver's options as the train command parsed them, and what is made
/// of them.
class SolverConfig {
 public:
  SolverConfig() = default;
  SolverConfig(const SolverConfig&) = delete;
  SolverConfig& operator=(const SolverConfig&) = delete;
  virtual ~SolverConfig() = default;

  /// Collective: the solver, updating `inputs.model` in place.
  [[nodiscard]] virtual std::unique_ptr<Solver> make(const SolverInputs& inputs) const = 0;
  /// What the solver keeps on one rank beyond the model's own rows: the
  /// other side's rows it fetches or replicates, its state, its per-thread
  /// scratch, and the copy the trainer keeps to step back after a
  /// divergence.
  [[nodiscard]] virtual std::vector<MemoryPart> memory(const MemoryShape& shape) const = 0;
};

struct SolverEntry {
  std::string_view name;     // the --solver value
  std::string_view summary;  // what it does, for --solver's help
  /// Its Solver::gradient_norm() measures something (--tol-gradient applies).
  bool follows_gradient = false;
  /// Declares the solver's options in `params`, each marked
  /// .solvers({name}), bound to the returned config. `solver` is the
  /// --solver option, for hints on values that belong elsewhere.
  std::shared_ptr<SolverConfig> (*declare)(cli::ParamSet& params,
                                           cli::Param<std::string>& solver) = nullptr;
  /// The feedback it trains on (--feedback): (name, feedback) is unique.
  model::Feedback feedback = model::Feedback::kExplicit;
};

/// The help section of the options several solvers declare, each for itself
/// (--optimizer, --lr, --schedule and theirs: gd and sgd), so that --help
/// lists them together, once each (docs/design.md §4).
inline constexpr std::string_view kStepSection = "Optimizer and learning rate";

/// Every registered solver, the default (als) first.
[[nodiscard]] std::span<const SolverEntry> registered_solvers();
/// The name of the first, the default --solver.
[[nodiscard]] std::string default_solver();
/// Their names, in the same order, each once.
[[nodiscard]] std::vector<std::string> solver_names();
/// The names of those that train on `feedback`.
[[nodiscard]] std::vector<std::string> solver_names(model::Feedback feedback);
/// The names of those that follow the gradient.
[[nodiscard]] std::vector<std::string> gradient_solver_names();
/// The entry of --solver `name` for `feedback`, or nullptr.
[[nodiscard]] const SolverEntry* find_solver(std::string_view name, model::Feedback feedback);

}  // namespace dmf::solvers
