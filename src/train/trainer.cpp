#include "dmf/train/trainer.hpp"

#include "dmf/core/timer.hpp"

namespace dmf::train {

std::vector<EpochRecord> run_epochs(const dist::Comm& comm, solvers::Solver& solver,
                                    const model::Model& model, const eval::RatingSet* validation,
                                    const LoopOptions& options, LoopOutputs outputs) {
  std::vector<EpochRecord> history;
  Stopwatch total;
  if (outputs.progress != nullptr) outputs.progress->start();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    Stopwatch clock;
    const solvers::Objective objective = solver.epoch();
    EpochRecord record;
    record.epoch = epoch;
    record.objective = objective.value();
    record.loss = objective.per_rating();
    record.train_rmse = objective.rmse();
    if (validation != nullptr) {
      record.validation_rmse = validation->score(comm, model, options.threads).rmse;
    }
    record.seconds = clock.seconds();
    record.elapsed = total.seconds();
    if (outputs.progress != nullptr) outputs.progress->epoch(record);
    if (outputs.metrics != nullptr) outputs.metrics->write(record);
    history.push_back(record);
  }
  if (outputs.progress != nullptr) outputs.progress->finish();
  return history;
}

}  // namespace dmf::train
