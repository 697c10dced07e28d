#include "dmf/train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <thread>

#include "dmf/core/error.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/train/stop_signals.hpp"

namespace dmf::train {
namespace {

/// Why an objective is not a good one, or empty.
std::string divergence(double objective, double best, double blowup) {
  if (!std::isfinite(objective)) return fmt::format("the objective is {}", objective);
  if (objective > blowup * best) {
    return fmt::format("the objective {:.6g} is above {} times its best, {:.6g}", objective, blowup,
                       best);
  }
  return {};
}

/// A state the loop keeps, with the epoch after which it was taken (0: the
/// start). States of the same epoch are the same state.
struct Kept {
  /// Shared: the rules that keep the state of one epoch (the last good
  /// one, the previous one, the best one) keep one copy of it.
  std::shared_ptr<const solvers::SolverState> state;
  int epoch = 0;

  explicit operator bool() const noexcept { return state != nullptr; }
};

std::string kept_key(int epoch) { return fmt::format("epoch-{}", epoch); }

/// The test hook of the fault-injection tests: DMF_TEST_SAFE_POINT_DELAY=S
/// makes every safe point of a checkpointed run wait S seconds, so that a
/// kill lands inside the run on a machine of any speed. Results do not
/// change.
void delay_for_tests() {
  static const double seconds = [] {
    const char* value = std::getenv("DMF_TEST_SAFE_POINT_DELAY");
    return value == nullptr ? 0.0 : std::strtod(value, nullptr);
  }();
  if (seconds > 0.0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

/// The loop of one run: its state is what a checkpoint saves of it.
class Loop {
 public:
  Loop(const dist::Comm& comm, solvers::Solver& solver, const model::Model& model,
       const Validation* validation, const LoopOptions& options, LoopOutputs outputs,
       const LoopCheckpoints& checkpoints)
      : comm_(comm),
        solver_(solver),
        model_(model),
        validation_(validation),
        options_(options),
        outputs_(outputs),
        checkpoints_(checkpoints) {}

  LoopResult run();

 private:
  void start();
  void resume(const Checkpoint& checkpoint);
  /// Runs epoch_ (or the rest of it); false when a signal stopped it.
  bool run_epoch();
  /// Collective: checkpoints when due and says whether to stop now.
  bool at_safe_point(bool epoch_end);
  void write_checkpoint(bool epoch_end);
  /// At the end of epoch epoch_ - 1: is --checkpoint-every due?
  [[nodiscard]] bool checkpoint_due_by_epochs() const;
  [[nodiscard]] bool keeps_previous() const { return options_.tol_params > 0.0; }

  const dist::Comm& comm_;
  solvers::Solver& solver_;
  const model::Model& model_;
  const Validation* validation_;
  const LoopOptions& options_;
  LoopOutputs outputs_;
  const LoopCheckpoints& checkpoints_;

  LoopResult result_;
  Stopwatch total_;
  double elapsed_before_ = 0.0;  // of the runs this one resumes
  Stopwatch since_checkpoint_;
  int epoch_ = 1;                     // the epoch running or next to run
  bool mid_epoch_ = false;            // the solver is between two steps of epoch_
  std::optional<double> epoch_rate_;  // the learning rate at epoch_'s start
  double previous_objective_ = 0.0;
  // The last good state is the one of the lowest objective so far: an
  // objective that climbs for a few epochs before it blows up is not good.
  double best_objective_ = 0.0;
  Kept last_good_;
  Kept previous_;  // for --tol-params: the state after the last epoch
  // Early stopping keeps the best epoch's state to end with.
  Kept best_state_;
  double best_validation_ = 0.0;
  int since_best_ = 0;
};

LoopResult Loop::run() {
  result_.stopped_by = "epochs";
  if (checkpoints_.resume != nullptr) {
    resume(*checkpoints_.resume);
  } else {
    start();
  }
  if (outputs_.progress != nullptr) outputs_.progress->start();
  while (epoch_ <= options_.epochs) {
    if (!run_epoch()) break;
  }
  if (outputs_.progress != nullptr) outputs_.progress->finish();
  if (result_.stop_signal == 0 && best_state_) {
    solver_.restore(*best_state_.state);
    result_.best_epoch = best_state_.epoch;
  }
  return result_;
}

void Loop::start() {
  const solvers::Objective initial = solver_.objective();
  // The objective is allreduced: every rank fails here alike.
  DMF_CHECK_EVERYWHERE(std::isfinite(initial.value()),
                       "the initial objective is {}; try a smaller --init-scale", initial.value());
  previous_objective_ = initial.value();
  best_objective_ = initial.value();
  last_good_ = {solver_.snapshot(), 0};
  if (keeps_previous()) previous_ = last_good_;
}

bool Loop::run_epoch() {
  Stopwatch clock;
  // Steps are counted from the epoch's start; an epoch resumed between two
  // steps does not know how many came before, and shows none.
  const bool counts_steps = !mid_epoch_;
  std::uint64_t steps = 0;
  if (!mid_epoch_) epoch_rate_ = solver_.learning_rate();
  mid_epoch_ = true;
  solvers::BetweenSteps between_steps;
  if (checkpoints_.store != nullptr || outputs_.progress != nullptr) {
    between_steps = [&] {
      ++steps;
      if (outputs_.progress != nullptr && counts_steps) outputs_.progress->step(epoch_, steps);
      return at_safe_point(false);
    };
  }
  const std::optional<solvers::Objective> objective = solver_.run_epoch(between_steps);
  if (!objective) return false;  // stopped by a signal, checkpointed
  mid_epoch_ = false;
  if (const auto why = divergence(objective->value(), best_objective_, options_.blowup);
      !why.empty()) {
    ++result_.backoffs;
    // The objective is allreduced: every rank diverges alike.
    DMF_CHECK_EVERYWHERE(solver_.reduce_learning_rate(0.5),
                         "training diverged in epoch {}: {}; {} has no learning rate to lower",
                         epoch_, why, solver_.name());
    DMF_CHECK_EVERYWHERE(
        result_.backoffs <= options_.max_backoffs,
        "training diverged in epoch {}: {}, after {} halvings of the learning rate; "
        "try a smaller --lr",
        epoch_, why, options_.max_backoffs);
    solver_.restore(*last_good_.state);
    if (outputs_.console != nullptr) {
      outputs_.console->warn(
          "epoch {} diverged ({}); back to the state after epoch {} with the "
          "learning rate halved to {:.6g}",
          epoch_, why, last_good_.epoch, solver_.learning_rate().value_or(0.0));
    }
    return true;
  }
  EpochRecord record;
  record.epoch = epoch_;
  record.objective = objective->value();
  record.loss = objective->per_rating();
  record.train_rmse = objective->train_rmse();
  record.learning_rate = epoch_rate_;
  // The value early stopping watches: absent for a set of no ratings, or of
  // no user with a relevant item (the caller warned about it).
  std::optional<double> watched;
  if (validation_ != nullptr) {
    const ValidationFigures figures = validation_->measure(comm_, model_, options_.threads);
    record.validation_rmse = figures.score.rmse;
    watched = figures.watched;
    if (validation_->metric().kind != eval::MetricKind::kRmse) {
      record.validation_metric = validation_->metric().name();
      record.validation_value = watched;
    }
  }
  // The state after this epoch, copied once however many rules keep it
  // (the model and the optimizer's sums: sgd on MovieTweetings, k = 64,
  // 1 x 1, with --tol-params, 12.0 ms an epoch against 13.0 with a copy
  // for each rule).
  std::shared_ptr<const solvers::SolverState> state_now;
  const auto keep_now = [&]() -> Kept {
    if (!state_now) state_now = solver_.snapshot();
    return {state_now, epoch_};
  };
  const double change = previous_ ? solver_.relative_change(*previous_.state) : 0.0;
  if (previous_) {
    record.parameter_change = change;
    previous_ = keep_now();
  }
  std::optional<double> gradient;
  if (options_.tol_gradient > 0.0) {
    gradient = solver_.gradient_norm();
    record.gradient_norm = gradient;
  }
  record.seconds = clock.seconds();
  record.elapsed = elapsed_before_ + total_.seconds();
  if (outputs_.progress != nullptr) outputs_.progress->epoch(record);
  if (outputs_.metrics != nullptr) outputs_.metrics->write(record);
  result_.history.push_back(record);
  result_.best_epoch = epoch_;
  if (objective->value() <= best_objective_) {
    best_objective_ = objective->value();
    last_good_ = keep_now();
  }

  // The stopping rules, in the order they are documented.
  const double relative =
      std::abs(previous_objective_ - objective->value()) /
      std::max(std::abs(previous_objective_), std::numeric_limits<double>::min());
  previous_objective_ = objective->value();
  if (options_.early_stop > 0 && watched) {
    if (!best_state_ || validation_->better(*watched, best_validation_)) {
      best_validation_ = *watched;
      best_state_ = keep_now();
      since_best_ = 0;
    } else if (++since_best_ >= options_.early_stop) {
      result_.stopped_by = "early-stop";
      return false;
    }
  }
  if (options_.tol_objective > 0.0 && relative < options_.tol_objective) {
    result_.stopped_by = "tol-objective";
    return false;
  }
  if (gradient && *gradient < options_.tol_gradient) {
    result_.stopped_by = "tol-gradient";
    return false;
  }
  if (previous_ && change < options_.tol_params) {
    result_.stopped_by = "tol-params";
    return false;
  }
  ++epoch_;
  if (epoch_ <= options_.epochs) return !at_safe_point(/*epoch_end=*/true);
  // The last epoch: the model is written next, but a checkpoint due by
  // --checkpoint-every is still written, so that a later run can go on.
  if (checkpoint_due_by_epochs()) write_checkpoint(/*epoch_end=*/true);
  return true;
}

bool Loop::checkpoint_due_by_epochs() const {
  return checkpoints_.store != nullptr && checkpoints_.every_epochs > 0 &&
         (epoch_ - 1) % checkpoints_.every_epochs == 0;
}

bool Loop::at_safe_point(bool epoch_end) {
  if (checkpoints_.store == nullptr) return false;
  delay_for_tests();
  // One allreduce decides for every rank: a signal on any rank, and rank
  // 0's clock for --checkpoint-seconds.
  std::array<int, 2> flags{stop_signal(),
                           comm_.is_root() && checkpoints_.every_seconds > 0.0 &&
                               since_checkpoint_.seconds() >= checkpoints_.every_seconds};
  comm_.allreduce(std::span<int>(flags), dist::Op::kMax);
  const bool every = epoch_end && checkpoint_due_by_epochs();
  if (flags[0] == 0 && flags[1] == 0 && !every) return false;
  write_checkpoint(epoch_end);
  if (flags[0] == 0) return false;
  result_.stop_signal = flags[0];
  if (outputs_.console != nullptr) {
    outputs_.console->log("stopping after {}: checkpoint written to {}\n", signal_name(flags[0]),
                          result_.checkpoint);
  }
  return true;
}

void Loop::write_checkpoint(bool epoch_end) {
  const auto current = solver_.snapshot();
  std::vector<SavedState> states{{"current", "", current.get()}};
  // The key of a kept state: "current" when it is the state now (after the
  // epoch that just ended), else its own subdirectory, written once.
  const int last_epoch = epoch_ - 1;
  const auto key_of = [&](const Kept& kept) -> nlohmann::json {
    if (!kept) return nullptr;
    if (epoch_end && kept.epoch == last_epoch) return "current";
    const std::string key = kept_key(kept.epoch);
    if (std::ranges::none_of(states, [&](const SavedState& s) { return s.key == key; })) {
      states.push_back({key, key, kept.state.get()});
    }
    return key;
  };
  nlohmann::json history = nlohmann::json::array();
  for (const auto& record : result_.history) history.push_back(MetricsLog::to_json(record));
  nlohmann::json loop{{"epoch", epoch_},
                      {"mid_epoch", !epoch_end},
                      {"epoch_rate", epoch_rate_ ? nlohmann::json(*epoch_rate_) : nullptr},
                      {"history", history},
                      {"previous_objective", previous_objective_},
                      {"best_objective", best_objective_},
                      {"last_good", key_of(last_good_)},
                      {"last_good_epoch", last_good_.epoch},
                      {"previous", key_of(previous_)},
                      {"previous_epoch", previous_.epoch},
                      {"best_state", key_of(best_state_)},
                      {"best_state_epoch", best_state_.epoch},
                      {"best_validation", best_validation_},
                      {"since_best", since_best_},
                      {"backoffs", result_.backoffs},
                      {"elapsed", elapsed_before_ + total_.seconds()},
                      {"solver_settings", solver_.settings_state()}};
  nlohmann::json manifest = checkpoints_.manifest;
  manifest["checkpoint"]["loop"] = loop;
  const std::string label =
      epoch_end ? fmt::format("epoch-{}", last_epoch) : fmt::format("in-epoch-{}", epoch_);
  const auto written = checkpoints_.store->write(label, states, manifest);
  result_.checkpoint = written.path;
  if (outputs_.console != nullptr) {
    outputs_.console->log(
        "checkpoint {}: {:.1f} MB in {:.2f} s ({:.0f} MB/s)\n", written.path,
        static_cast<double>(written.bytes) / 1e6, written.seconds,
        static_cast<double>(written.bytes) / 1e6 / std::max(written.seconds, 1e-9));
  }
  since_checkpoint_.restart();
}

void Loop::resume(const Checkpoint& checkpoint) {
  const nlohmann::json& loop = checkpoint.manifest["checkpoint"]["loop"];
  epoch_ = loop.at("epoch").get<int>();
  const auto load = [&](const std::string& key) {
    return comm_.agree([&] { return solver_.load_state(CheckpointSource(checkpoint, key)); });
  };
  solver_.restore(*load("current"));
  solver_.restore_settings(loop.at("solver_settings"));
  // The state resumed, copied once however many rules keep it.
  std::shared_ptr<const solvers::SolverState> current;
  const auto current_state = [&] {
    if (!current) current = solver_.snapshot();
    return current;
  };
  const auto kept = [&](const char* key, const char* epoch) -> Kept {
    const nlohmann::json& where = loop.at(key);
    if (where.is_null()) return {};
    if (where != "current") return {load(where.get<std::string>()), loop.at(epoch).get<int>()};
    return {current_state(), loop.at(epoch).get<int>()};
  };
  last_good_ = kept("last_good", "last_good_epoch");
  best_state_ = kept("best_state", "best_state_epoch");
  previous_ = kept("previous", "previous_epoch");
  // A run that did not keep the previous state (no --tol-params then)
  // measures the change from where it resumes.
  if (keeps_previous() && !previous_) previous_ = {current_state(), epoch_ - 1};
  if (!keeps_previous()) previous_ = {};
  mid_epoch_ = loop.at("mid_epoch").get<bool>();
  if (!loop.at("epoch_rate").is_null()) epoch_rate_ = loop["epoch_rate"].get<double>();
  previous_objective_ = loop.at("previous_objective").get<double>();
  best_objective_ = loop.at("best_objective").get<double>();
  best_validation_ = loop.at("best_validation").get<double>();
  since_best_ = loop.at("since_best").get<int>();
  result_.backoffs = loop.at("backoffs").get<int>();
  elapsed_before_ = loop.at("elapsed").get<double>();
  for (const auto& line : loop.at("history")) {
    result_.history.push_back(MetricsLog::from_json(line));
    // The metrics file starts again with the epochs the checkpoint has.
    if (outputs_.metrics != nullptr) outputs_.metrics->write(result_.history.back());
  }
  result_.best_epoch = result_.history.empty() ? 0 : result_.history.back().epoch;
}

}  // namespace

LoopResult run_epochs(const dist::Comm& comm, solvers::Solver& solver, const model::Model& model,
                      const Validation* validation, const LoopOptions& options, LoopOutputs outputs,
                      const LoopCheckpoints& checkpoints) {
  return Loop(comm, solver, model, validation, options, outputs, checkpoints).run();
}

}  // namespace dmf::train
