#include "dmf/train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "dmf/core/error.hpp"
#include "dmf/core/timer.hpp"

namespace dmf::train {
namespace {

/// Why an objective is not a good one, or empty.
std::string divergence(double objective, double best, double blowup) {
  if (!std::isfinite(objective)) return fmt::format("the objective is {}", objective);
  if (objective > blowup * best) {
    return fmt::format("the objective {:.6g} is above {} times its best, {:.6g}", objective,
                       blowup, best);
  }
  return {};
}

bool check_params(const LoopOptions& options) { return options.tol_params > 0.0; }

}  // namespace

LoopResult run_epochs(const dist::Comm& comm, solvers::Solver& solver, const model::Model& model,
                      const eval::RatingSet* validation, const LoopOptions& options,
                      LoopOutputs outputs) {
  LoopResult result;
  result.stopped_by = "epochs";
  Stopwatch total;
  const solvers::Objective initial = solver.objective();
  DMF_CHECK(std::isfinite(initial.value()), "the initial objective is {}", initial.value());
  double previous_objective = initial.value();
  // The last good state is the one of the lowest objective so far: an
  // objective that climbs for a few epochs before it blows up is not good.
  double best_objective = initial.value();
  int best_objective_epoch = 0;
  auto last_good = solver.snapshot();
  auto previous = check_params(options) ? solver.snapshot() : nullptr;
  // Early stopping keeps the best epoch's state to end with.
  std::unique_ptr<solvers::SolverState> best_state;
  double best_validation = 0.0;
  int best_state_epoch = 0;
  int since_best = 0;

  if (outputs.progress != nullptr) outputs.progress->start();
  for (int epoch = 1; epoch <= options.epochs;) {
    Stopwatch clock;
    const std::optional<double> rate = solver.learning_rate();
    const solvers::Objective objective = solver.epoch();
    if (const auto why = divergence(objective.value(), best_objective, options.blowup);
        !why.empty()) {
      ++result.backoffs;
      DMF_CHECK(solver.reduce_learning_rate(0.5),
                "training diverged in epoch {}: {}; {} has no learning rate to lower", epoch, why,
                solver.name());
      DMF_CHECK(result.backoffs <= options.max_backoffs,
                "training diverged in epoch {}: {}, after {} halvings of the learning rate; "
                "try a smaller --lr",
                epoch, why, options.max_backoffs);
      solver.restore(*last_good);
      if (outputs.console != nullptr) {
        outputs.console->warn("epoch {} diverged ({}); back to the state after epoch {} with the "
                              "learning rate halved to {:.6g}",
                              epoch, why, best_objective_epoch,
                              solver.learning_rate().value_or(0.0));
      }
      continue;
    }
    EpochRecord record;
    record.epoch = epoch;
    record.objective = objective.value();
    record.loss = objective.per_rating();
    record.train_rmse = objective.rmse();
    record.learning_rate = rate;
    if (validation != nullptr) {
      record.validation_rmse = validation->score(comm, model, options.threads).rmse;
    }
    const double change = previous ? solver.relative_change(*previous) : 0.0;
    if (previous) {
      record.parameter_change = change;
      previous = solver.snapshot();
    }
    std::optional<double> gradient;
    if (options.tol_gradient > 0.0) {
      gradient = solver.gradient_norm();
      record.gradient_norm = gradient;
    }
    record.seconds = clock.seconds();
    record.elapsed = total.seconds();
    if (outputs.progress != nullptr) outputs.progress->epoch(record);
    if (outputs.metrics != nullptr) outputs.metrics->write(record);
    result.history.push_back(record);
    result.best_epoch = epoch;
    if (objective.value() <= best_objective) {
      best_objective = objective.value();
      best_objective_epoch = epoch;
      last_good = solver.snapshot();
    }

    // The stopping rules, in the order they are documented.
    const double relative =
        std::abs(previous_objective - objective.value()) /
        std::max(std::abs(previous_objective), std::numeric_limits<double>::min());
    previous_objective = objective.value();
    if (options.early_stop > 0 && record.validation_rmse) {
      if (!best_state || *record.validation_rmse < best_validation) {
        best_validation = *record.validation_rmse;
        best_state = solver.snapshot();
        best_state_epoch = epoch;
        since_best = 0;
      } else if (++since_best >= options.early_stop) {
        result.stopped_by = "early-stop";
        break;
      }
    }
    if (options.tol_objective > 0.0 && relative < options.tol_objective) {
      result.stopped_by = "tol-objective";
      break;
    }
    if (gradient && *gradient < options.tol_gradient) {
      result.stopped_by = "tol-gradient";
      break;
    }
    if (previous && change < options.tol_params) {
      result.stopped_by = "tol-params";
      break;
    }
    ++epoch;
  }
  if (outputs.progress != nullptr) outputs.progress->finish();
  if (best_state) {
    solver.restore(*best_state);
    result.best_epoch = best_state_epoch;
  }
  return result;
}

}  // namespace dmf::train
