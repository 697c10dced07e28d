// The trainer loop (DESIGN.md §8): epochs of whichever solver runs, the
// metrics of each, the stopping rules, divergence backoff and early
// stopping, progress and the metrics log. It does not know which solver it
// drives.
#pragma once

#include <string>
#include <vector>

#include "dmf/core/console.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/eval/rating_set.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/solver.hpp"
#include "dmf/train/metrics_log.hpp"
#include "dmf/train/progress.hpp"

namespace dmf::train {

struct LoopOptions {
  int epochs = 10;
  int threads = 1;
  double tol_objective = 0.0;  // stop when |ΔL| / L falls below (0: never)
  double tol_gradient = 0.0;   // stop when ‖∇L‖ / |Ω| falls below (0: never)
  double tol_params = 0.0;     // stop when ‖Δθ‖ / ‖θ‖ falls below (0: never)
  int early_stop = 0;          // patience in epochs on validation RMSE (0: off)
  int max_backoffs = 5;        // halvings of the learning rate before giving up
  double blowup = 10.0;        // an objective above this × its best diverged
};

/// Where the loop reports; any may be absent.
struct LoopOutputs {
  Progress* progress = nullptr;
  MetricsLog* metrics = nullptr;
  const Console* console = nullptr;  // warnings
};

struct LoopResult {
  std::vector<EpochRecord> history;  // every epoch that completed
  std::string stopped_by;            // "epochs", "tol-objective", ..., "early-stop"
  int best_epoch = 0;  // the epoch whose model the solver holds at the end (0: the initial one)
  int backoffs = 0;    // learning-rate halvings after divergence
};

/// Collective: runs up to `options.epochs` epochs of `solver` on `model`,
/// scoring `validation` (when given) after each. With early stopping the
/// solver ends holding the best epoch's state. Throws dmf::Error when the
/// run diverges beyond max_backoffs (or the solver cannot back off).
LoopResult run_epochs(const dist::Comm& comm, solvers::Solver& solver, const model::Model& model,
                      const eval::RatingSet* validation, const LoopOptions& options,
                      LoopOutputs outputs);

}  // namespace dmf::train
