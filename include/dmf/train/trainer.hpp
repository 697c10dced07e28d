// The trainer loop (docs/design.md §4): epochs of whichever solver runs, the
// metrics of each, the stopping rules, divergence backoff and early
// stopping, progress and the metrics log. It does not know which solver it
// drives.
#pragma once

#include <string>
#include <vector>

#include "dmf/core/console.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/solver.hpp"
#include "dmf/train/checkpoint.hpp"
#include "dmf/train/metrics_log.hpp"
#include "dmf/train/progress.hpp"
#include "dmf/train/validation.hpp"

namespace dmf::train {

struct LoopOptions {
  int epochs = 10;
  int threads = 1;
  double tol_objective = 0.0;  // stop when |ΔL| / L falls below (0: never)
  double tol_gradient = 0.0;   // stop when ‖∇L‖ / |Ω| falls below (0: never)
  double tol_params = 0.0;     // stop when ‖Δθ‖ / ‖θ‖ falls below (0: never)
  int early_stop = 0;          // patience in epochs on the validation metric (0: off)
  int max_backoffs = 5;        // halvings of the learning rate before giving up
  double blowup = 10.0;        // an objective above this × its best diverged
};

/// Where the loop reports; any may be absent.
struct LoopOutputs {
  Progress* progress = nullptr;
  MetricsLog* metrics = nullptr;
  const Console* console = nullptr;  // warnings
};

/// Checkpoints of the run (train/checkpoint.hpp) and where it resumes from.
/// With a store, the loop checkpoints every `every_epochs` epochs, every
/// `every_seconds` seconds (at the next safe point), and when any rank got a
/// stop signal (stop_signals.hpp), after which it stops. Safe points are the
/// ends of epochs and the gaps between a solver's steps.
struct LoopCheckpoints {
  CheckpointStore* store = nullptr;  // none: no checkpoints, signals not watched
  int every_epochs = 0;
  double every_seconds = 0.0;
  nlohmann::json manifest;             // what every checkpoint's manifest starts with
  const Checkpoint* resume = nullptr;  // go on from here instead of the solver's state
};

struct LoopResult {
  std::vector<EpochRecord> history;  // every epoch that completed
  std::string stopped_by;            // "epochs", "tol-objective", ..., "early-stop"
  int best_epoch = 0;      // the epoch whose model the solver holds at the end (0: the initial one)
  int backoffs = 0;        // learning-rate halvings after divergence
  int stop_signal = 0;     // the signal that stopped the run after a checkpoint (0: none)
  std::string checkpoint;  // the last checkpoint written ("" if none)
};

/// Collective: runs up to `options.epochs` epochs of `solver` on `model`,
/// measuring `validation` (when given) after each. With early stopping the
/// solver ends holding the state of the epoch with the best value of the
/// validation metric. Throws dmf::Error when the
/// run diverges beyond max_backoffs (or the solver cannot back off). A run
/// stopped by a signal returns with stop_signal set and the solver holding
/// the state it checkpointed.
LoopResult run_epochs(const dist::Comm& comm, solvers::Solver& solver, const model::Model& model,
                      const Validation* validation, const LoopOptions& options, LoopOutputs outputs,
                      const LoopCheckpoints& checkpoints = {});

}  // namespace dmf::train
