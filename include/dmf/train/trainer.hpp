// The trainer loop (DESIGN.md §8): epochs of whichever solver runs, the
// metrics of each, progress and the metrics log. It does not know which
// solver it drives.
#pragma once

#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/solver.hpp"
#include "dmf/eval/rating_set.hpp"
#include "dmf/train/metrics_log.hpp"
#include "dmf/train/progress.hpp"

namespace dmf::train {

struct LoopOptions {
  int epochs = 10;
  int threads = 1;
};

/// Where the loop reports; either may be absent.
struct LoopOutputs {
  Progress* progress = nullptr;
  MetricsLog* metrics = nullptr;
};

/// Collective: runs `options.epochs` epochs of `solver` on `model`,
/// scoring `validation` (when given) after each; returns every epoch's record.
std::vector<EpochRecord> run_epochs(const dist::Comm& comm, solvers::Solver& solver,
                                    const model::Model& model, const eval::RatingSet* validation,
                                    const LoopOptions& options, LoopOutputs outputs);

}  // namespace dmf::train
