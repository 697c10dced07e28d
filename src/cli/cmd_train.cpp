// dmf train: a model from a ratings file, with held-out metrics, written as a
// model directory (docs/design.md §6).
#include <optional>

#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/load_with_progress.hpp"
#include "dmf/cli/metric_text.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/cli/train_memory.hpp"
#include "dmf/cli/train_options.hpp"
#include "dmf/cli/train_resume.hpp"
#include "dmf/core/memory.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/fingerprint.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/data/split.hpp"
#include "dmf/data/summary.hpp"
#include "dmf/dist/ordered_output.hpp"
#include "dmf/model/init.hpp"
#include "dmf/model/model_dir.hpp"
#include "dmf/solvers/registry.hpp"
#include "dmf/train/stop_signals.hpp"
#include "dmf/train/trainer.hpp"

namespace dmf::cli {
namespace {

/// The validation set: --validation FILE, or --holdout's share of --data.
std::optional<data::LocalRatings> read_validation(const dist::Comm& comm, const TrainOptions& o,
                                                  const data::LoadOptions& load,
                                                  const data::SplitOptions& split) {
  if (!o.validation.empty()) return data::read_ratings_here(comm, o.validation, load);
  if (o.holdout <= 0.0) return std::nullopt;
  data::LoadOptions held = load;
  held.keep = [split](std::string_view user, std::string_view item) {
    return data::random_subset(split, user, item) == data::Subset::kTest;
  };
  return data::read_ratings_here(comm, o.data, held);
}

nlohmann::json score_json(const eval::SetScore& s) {
  return {{"rmse", metric_json(s.rmse)},
          {"mae", metric_json(s.mae)},
          {"count", s.count},
          {"cold", s.cold}};
}

std::string score_text(std::string_view name, const eval::SetScore& s) {
  return fmt::format("  {:<11} RMSE {}  MAE {}  ({} ratings, {} cold)\n", name, metric_text(s.rmse),
                     metric_text(s.mae), s.count, s.cold);
}

/// Collective: a ranking metric of a validation set that has ratings but no
/// user with a relevant item the user did not rate in training is n/a every
/// epoch: an error when something must watch it, else a warning.
void check_ranked_users(const dist::Comm& comm, const Console& console, const TrainOptions& o,
                        const train::Validation& validation) {
  if (!eval::is_ranking(validation.metric().kind) || validation.ratings().count() == 0 ||
      validation.users_ranked() > 0) {
    return;
  }
  const std::string name = validation.metric().name();
  const std::string why = fmt::format(
      "no validation user has a relevant item to rank: of the {} validation ratings, {} are of a "
      "user or item not in the training data and {} were rated in it{}",
      validation.ratings().count(), validation.ratings().cold(), validation.rated_left_out(),
      o.relevant_threshold
          ? fmt::format(", and the others are below --relevant-threshold {}", *o.relevant_threshold)
          : "");
  comm.agree([&] {
    DMF_CHECK(o.early_stop == 0, "--early-stop watches validation {}, but {}", name, why);
    DMF_CHECK(o.restarts == 1, "--restarts keeps the run with the best validation {}, but {}", name,
              why);
  });
  console.warn("validation {} is n/a: {}", name, why);
}

/// Collective: a held-out set of no ratings measures nothing. --holdout
/// that picks none is an error (see the message); an empty --validation or
/// --test file gets a warning and metrics of n/a, unless something must
/// watch its figures. So does a ranking metric without a user to rank.
void check_held_out(const dist::Comm& comm, const Console& console, const TrainOptions& o,
                    const data::RatingsData& ratings, const train::Validation* validation,
                    const eval::RatingSet* test) {
  if (validation != nullptr) check_ranked_users(comm, console, o, *validation);
  comm.agree([&] {
    if (validation == nullptr || validation->ratings().count() > 0) return;
    DMF_CHECK(o.holdout == 0.0,
              "--holdout {} held out none of the {} ratings of {} (about {:.0f} expected): "
              "with --split-seed {} it picks the ratings that `dmf split --seed {}` puts in its "
              "test file (by a hash of seed, user and item), so a train file that dmf split made "
              "with the same seed has none to give; pass another --split-seed, or the split's "
              "test file as --validation",
              o.holdout, ratings.report.ratings, o.data,
              o.holdout * static_cast<double>(ratings.report.ratings), o.split_seed, o.split_seed);
    const std::string watched = train::metric_label(validation->metric());
    DMF_CHECK(o.early_stop == 0,
              "--early-stop watches validation {}, but {} has no ratings to score", watched,
              o.validation);
    DMF_CHECK(o.restarts == 1,
              "--restarts keeps the run with the best validation {}, but {} has no ratings to "
              "score",
              watched, o.validation);
  });
  if (validation != nullptr && validation->ratings().count() == 0) {
    console.warn("{} has no ratings to score; validation RMSE and MAE are n/a", o.validation);
  }
  if (test != nullptr && test->count() == 0) {
    console.warn("{} has no ratings to score; test RMSE and MAE are n/a", o.test);
  }
}

std::unique_ptr<solvers::Solver> make_solver(const dist::Comm& comm, const TrainOptions& o,
                                             const data::RatingsData& ratings, model::Model& model,
                                             std::uint64_t seed, int threads) {
  return o.solver_config().make({comm, ratings, model, regularization(o.model), seed, threads});
}

/// One training run from one initialization, and what it ended with.
struct Run {
  std::uint64_t seed = 0;
  model::Model model;
  train::LoopResult loop;
  solvers::Objective objective;  // of the final model
  std::optional<train::ValidationFigures> validation;
  nlohmann::json solver;  // the solver's settings and counters
  std::uint64_t bytes_sent_per_epoch = 0;
  double seconds = 0.0;
};

nlohmann::json solver_json(const solvers::Solver& solver) {
  nlohmann::json j = solver.report();
  j["name"] = solver.name();
  return j;
}

model::Model initial_model(const dist::Comm& comm, const TrainOptions& o,
                           const data::RatingsData& ratings, std::uint64_t seed) {
  model::Model model =
      model::init_model(comm, ratings, o.model.rank, model_biases(o), seed, o.model.init_scale);
  // The implicit model is p_u·q_i alone (docs/design.md §2): no μ.
  if (o.feedback == model::Feedback::kImplicit) model.mu = 0.0;
  return model;
}

/// Trains `initial` (drawn with `seed`) to the end.
Run train_once(Context& context, const TrainOptions& o, const data::RatingsData& ratings,
               const train::Validation* validation, model::Model initial, std::uint64_t seed,
               int threads, int restart, train::MetricsLog* metrics,
               const train::LoopCheckpoints& checkpoints) {
  const auto& comm = context.comm;
  Stopwatch clock;
  Run run;
  run.seed = seed;
  run.model = std::move(initial);
  const auto solver = make_solver(comm, o, ratings, run.model, seed, threads);
  train::Progress progress(context.console, o.epochs, train::Progress::stderr_is_terminal());
  // A solver that takes many steps per epoch has them shown within the epoch.
  progress.set_steps_per_epoch(solver->progress_steps());
  if (metrics != nullptr) metrics->set_restart(o.restarts > 1 ? restart : 0);
  run.loop = train::run_epochs(comm, *solver, run.model, validation, loop_options(o, threads),
                               {&progress, metrics, &context.console}, checkpoints);
  if (run.loop.stop_signal != 0) return run;
  // The final figures, measured afresh (also right for --epochs 0).
  run.objective = solver->objective();
  if (validation != nullptr) run.validation = validation->measure(comm, run.model, threads);
  run.solver = solver_json(*solver);
  run.bytes_sent_per_epoch =
      comm.allreduce<std::uint64_t>(solver->traffic_per_epoch().bytes_sent, dist::Op::kSum);
  run.seconds = clock.seconds();
  const auto& loop = run.loop;
  if (loop.stopped_by != "epochs" || loop.best_epoch != static_cast<int>(loop.history.size())) {
    context.console.log("stopped by {} after {} epochs; the model is epoch {}'s\n", loop.stopped_by,
                        loop.history.size(), loop.best_epoch);
  }
  return run;
}

/// Refuses, on every rank, a --rank whose model would not fit in this
/// machine's memory: before anything of size k is allocated. Without
/// `ratings` (before the data is read) only what does not depend on the
/// data counts: ALS's per-thread (k+1)^2 systems alone refuse --rank 1e8
/// before a large file is read.
void check_memory(const dist::Comm& comm, const TrainOptions& o, const data::RatingsData* ratings,
                  int threads) {
  TrainShape shape;
  if (ratings != nullptr) {
    shape.local_users = ratings->users.local_rows();
    shape.local_items = ratings->items.local_rows();
    shape.total_users = ratings->users.total_rows();
    shape.total_items = ratings->items.total_rows();
    shape.user_ratings = ratings->by_user.nnz();
    shape.item_ratings = ratings->by_item.nnz();
  }
  shape.k = o.model.rank;
  shape.threads = threads;
  comm.agree([&] {
    const std::string why =
        memory_refusal(shape, o.solver_config(), comm.rank(), usable_memory_bytes());
    if (!why.empty()) throw Error(why);
  });
}

/// Is `a` a better run than `b`: the better value of the validation metric
/// (ties: lower objective).
bool better(const Run& a, const Run& b, const train::Validation* validation) {
  if (validation != nullptr && a.validation && b.validation && a.validation->watched &&
      b.validation->watched && *a.validation->watched != *b.validation->watched) {
    return validation->better(*a.validation->watched, *b.validation->watched);
  }
  return a.objective.value() < b.objective.value();
}

/// The --restarts table; `watched` names the validation metric's column
/// when it is not RMSE ("" otherwise).
void print_restarts(const Console& console, const std::vector<nlohmann::json>& table, int best,
                    const std::string& watched) {
  const std::string column = "validation " + watched;
  const std::size_t width = std::max<std::size_t>(column.size(), 10);
  const auto number = [](const nlohmann::json& v) {
    return v.is_number() ? v.get<double>() : std::optional<double>();
  };
  console.out("{:>7}  {:>6}  {:>6}  {:>10}  {:>15}{}\n", "restart", "seed", "epochs", "train RMSE",
              "validation RMSE", watched.empty() ? "" : fmt::format("  {:>{}}", column, width));
  for (std::size_t r = 0; r < table.size(); ++r) {
    const auto& row = table[r];
    const std::string extra =
        watched.empty()
            ? ""
            : "  " + metric_text(number(row["validation_" + watched]), static_cast<int>(width));
    console.out("{:>7}  {:>6}  {:>6}  {}  {}{}{}\n", r + 1, row["seed"].get<std::uint64_t>(),
                row["epochs"].get<int>(), metric_text(number(row["train_rmse"]), 10),
                metric_text(number(row["validation_rmse"]), 15), extra,
                static_cast<int>(r) == best ? "  <- kept" : "");
  }
}

/// The validation figures of the manifest's metrics: RMSE and MAE, the
/// metric watched and, for a ranking metric, its value and users ranked.
nlohmann::json validation_json(const train::Validation& validation,
                               const train::ValidationFigures& figures) {
  nlohmann::json j = score_json(figures.score);
  const eval::MetricSpec& metric = validation.metric();
  j["metric"] = metric.name();
  if (eval::is_ranking(metric.kind)) {
    j[metric.name()] = metric_json(figures.watched);
    j["users_ranked"] = validation.users_ranked();
  }
  return j;
}

/// What train writes: checked before the data is read (README "Outputs and
/// exit codes").
std::vector<io::NamedPath> train_outputs(const TrainOptions& o) {
  using Kind = io::NamedPath::Kind;
  std::vector<io::NamedPath> outputs{{"--out", o.out, Kind::kReplacedDir, o.overwrite}};
  // A resumed run rewrites its metrics file from the checkpoint's history.
  if (!o.metrics_out.empty()) {
    outputs.push_back(
        {"--metrics-out", o.metrics_out, Kind::kFile, o.overwrite || !o.resume.empty()});
  }
  if (!o.checkpoint_dir.empty()) {
    outputs.push_back({"--checkpoint-dir", o.checkpoint_dir, Kind::kDirectory});
  }
  return outputs;
}

std::vector<io::NamedPath> train_inputs(const TrainOptions& o) {
  using Kind = io::NamedPath::Kind;
  std::vector<io::NamedPath> inputs{{"--data", o.data}};
  if (!o.validation.empty()) inputs.push_back({"--validation", o.validation});
  if (!o.test.empty()) inputs.push_back({"--test", o.test});
  if (!o.resume.empty() && o.resume != "auto") {
    inputs.push_back({"--resume", o.resume, Kind::kDirectory});
  }
  return inputs;
}

/// Exit code of a run stopped by a signal after its checkpoint (docs/design.md §7).
constexpr int kExitCheckpointed = 75;

/// What the model directory's manifest and every checkpoint's start with:
/// the model's shape, the data and the configuration.
nlohmann::json base_manifest(const dist::Comm& comm, const TrainOptions& o, const ParamSet& params,
                             const data::RatingsData& ratings, const model::Model& model,
                             const std::string& fingerprint) {
  const float lowest = ratings.by_user.values.empty()
                           ? std::numeric_limits<float>::max()
                           : *std::ranges::min_element(ratings.by_user.values);
  const float highest = ratings.by_user.values.empty()
                            ? std::numeric_limits<float>::lowest()
                            : *std::ranges::max_element(ratings.by_user.values);
  return {{"dmf_version", DMF_VERSION},
          {"solver", o.solver},
          {"k", o.model.rank},
          {"feedback", to_string(o.feedback)},
          {"biases", to_string(model_biases(o))},
          {"mu", model.mu},
          {"rating_min", comm.allreduce(lowest, dist::Op::kMin)},
          {"rating_max", comm.allreduce(highest, dist::Op::kMax)},
          {"data",
           {{"path", o.data},
            {"fingerprint", fingerprint},
            {"ratings", ratings.report.ratings},
            {"users", ratings.users.total_rows()},
            {"items", ratings.items.total_rows()}}},
          {"config", params.effective_config()},
          {"resume_options", resume_options(params)},
          {"run_options", run_options(params)},
          {"layout", {{"ranks", comm.size()}, {"threads", resolve_threads(o.threads)}}}};
}

int run(Context& context, const TrainOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  const auto& console = context.console;
  comm.agree([&] { check_train_options(o, params); });
  check_output_paths(comm, train_outputs(o), with_config(train_inputs(o), params));
  // With --metrics-out -, standard output carries the JSON lines alone.
  if (dist::is_stdout(o.metrics_out)) context.console.results_to_stderr();
  // Refuse an existing --out now rather than after training (the write
  // checks again, atomically). A requeued job may find its own model there:
  // whose it is is known once the data is read.
  const std::optional<nlohmann::json> published = published_model(comm, o);
  if (!published) model::check_model_dir_writable(comm, o.out, o.overwrite);
  // From here a stop signal means "checkpoint at the next safe point".
  if (!o.checkpoint_dir.empty()) train::catch_stop_signals();
  Stopwatch clock;
  const int threads = comm.agree([&] { return resolve_threads(o.threads); });
  check_memory(comm, o, nullptr, threads);
  data::LoadOptions load = o.load;
  load.threads = threads;
  const data::SplitOptions split{data::SplitMethod::kRandom, o.holdout, 0.0, o.split_seed};

  data::LoadOptions train_load = load;
  if (o.holdout > 0.0) {
    train_load.keep = [split](std::string_view user, std::string_view item) {
      return data::random_subset(split, user, item) == data::Subset::kTrain;
    };
  }
  const data::RatingsData ratings = load_with_progress(context, o.data, train_load);
  // Implicit feedback is all ones when it has no counts: that is its data.
  if (o.feedback == model::Feedback::kExplicit) data::require_varied_ratings(comm, ratings);
  const auto& report = ratings.report;
  console.log("loaded {} ratings ({} users, {} items) from {} in {:.2f} s\n", report.ratings,
              ratings.users.total_rows(), ratings.items.total_rows(), o.data, report.seconds());

  check_memory(comm, o, &ratings, threads);
  // The first run's initial model. The held-out sets are built against it:
  // they need only its blocks' shape, the same for every restart.
  model::Model first = initial_model(comm, o, ratings, o.model.seed);
  // Validation and test ratings are read as they are, one prediction each.
  std::optional<train::Validation> validation;
  if (auto local = read_validation(comm, o, load, split)) {
    validation.emplace(comm, first, ratings, *local, o.validation.empty() ? o.data : o.validation,
                       validation_metric(o), o.relevant_threshold,
                       o.feedback == model::Feedback::kExplicit);
  }
  std::optional<eval::RatingSet> test;
  if (!o.test.empty()) {
    test.emplace(comm, first, ratings.users, ratings.items,
                 data::read_ratings_here(comm, o.test, load), o.test, eval::ColdStart::kMean);
  }

  check_held_out(comm, console, o, ratings, validation ? &*validation : nullptr,
                 test ? &*test : nullptr);

  const std::string fingerprint = data::fingerprint(comm, ratings);
  const nlohmann::json base = base_manifest(comm, o, params, ratings, first, fingerprint);
  if (published &&
      is_finished_model(comm, o, *published, run_identity_of(params, fingerprint, "run_options"))) {
    // Slurm's requeue loop waits for exit 0 (README "Running on a cluster").
    console.out("model {} is complete: this run's model was published before; nothing to do\n",
                o.out);
    return 0;
  }
  const train::RunIdentity run_identity = run_identity_of(params, fingerprint, "resume_options");
  const std::optional<train::Checkpoint> resume = checkpoint_to_resume(comm, o, console);
  if (resume) {
    check_resumable(comm, *resume, run_identity);
    console.log("resuming from {}\n", resume->path);
  } else if (o.resume == "auto") {
    console.log("no checkpoint in {}; starting fresh\n", o.checkpoint_dir);
  }
  // A resumed run rewrites its own metrics file from the checkpoint's
  // history; a fresh one replaces no file (README "Checkpoints and preemption").
  // Checked before the checkpoint directory is touched.
  const train::MetricsTakeover metrics_takeover{
      o.overwrite, !o.resume.empty(),
      resume ? &resume->manifest["checkpoint"]["loop"]["history"] : nullptr};
  if (!o.metrics_out.empty()) train::MetricsLog::check(comm, o.metrics_out, metrics_takeover);
  std::optional<train::CheckpointStore> store;
  if (!o.checkpoint_dir.empty()) {
    store.emplace(comm, o.checkpoint_dir, o.keep_checkpoints, ratings.users, ratings.items,
                  run_identity, console);
  }
  const train::LoopCheckpoints checkpoints{store ? &*store : nullptr, o.checkpoint_every,
                                           o.checkpoint_seconds, base, resume ? &*resume : nullptr};

  std::optional<train::MetricsLog> metrics;
  if (!o.metrics_out.empty()) metrics.emplace(comm, o.metrics_out, metrics_takeover);
  const double setup_seconds = clock.seconds();
  std::optional<Run> best;
  int best_index = 0;
  std::vector<nlohmann::json> restarts;
  // The watched metric's own column when it is not RMSE, as in the metrics log.
  const std::string watched_column =
      validation && validation->metric().kind != eval::MetricKind::kRmse
          ? validation->metric().name()
          : "";
  for (int r = 0; r < o.restarts; ++r) {
    const std::uint64_t seed = o.model.seed + static_cast<std::uint64_t>(r);
    if (o.restarts > 1) console.log("restart {}/{} (seed {})\n", r + 1, o.restarts, seed);
    model::Model initial = r == 0 ? std::move(first) : initial_model(comm, o, ratings, seed);
    Run run =
        train_once(context, o, ratings, validation ? &*validation : nullptr, std::move(initial),
                   seed, threads, r + 1, metrics ? &*metrics : nullptr, checkpoints);
    if (run.loop.stop_signal != 0) {
      console.out(
          "stopped by {}: checkpoint {} written; run again with --resume auto to go "
          "on (exit code {})\n",
          train::signal_name(run.loop.stop_signal), run.loop.checkpoint, kExitCheckpointed);
      return kExitCheckpointed;
    }
    restarts.push_back({{"seed", seed},
                        {"epochs", static_cast<int>(run.loop.history.size())},
                        {"best_epoch", run.loop.best_epoch},
                        {"train_rmse", metric_json(run.objective.train_rmse())},
                        {"validation_rmse",
                         metric_json(run.validation ? run.validation->score.rmse : std::nullopt)}});
    if (!watched_column.empty()) {
      restarts.back()["validation_" + watched_column] =
          metric_json(run.validation ? run.validation->watched : std::nullopt);
    }
    if (!best || better(run, *best, validation ? &*validation : nullptr)) {
      best = std::move(run);
      best_index = r;
    }
  }
  const double train_seconds = clock.seconds() - setup_seconds;
  if (o.restarts > 1) print_restarts(console, restarts, best_index, watched_column);

  const Run& chosen = *best;
  const model::Model& model = chosen.model;
  const solvers::Objective& objective = chosen.objective;
  nlohmann::json final_metrics{{"loss", objective.per_rating()},
                               {"objective", objective.value()},
                               {"train_rmse", metric_json(objective.train_rmse())}};
  if (chosen.validation) {
    final_metrics["validation"] = validation_json(*validation, *chosen.validation);
  }
  std::optional<eval::SetScore> test_score;
  if (test) {
    test_score = test->score(comm, model, threads);
    final_metrics["test"] = score_json(*test_score);
  }

  nlohmann::json history_json = nlohmann::json::array();
  for (const auto& record : chosen.loop.history) {
    history_json.push_back(train::MetricsLog::to_json(record));
  }
  nlohmann::json manifest = base;
  manifest.update(
      {{"epochs", static_cast<int>(chosen.loop.history.size())},
       {"best_epoch", chosen.loop.best_epoch},
       {"stopped_by", chosen.loop.stopped_by},
       {"learning_rate_backoffs", chosen.loop.backoffs},
       {"seed", chosen.seed},
       {"metrics", final_metrics},
       {"history", history_json},
       {"solver_state", chosen.solver},
       {"bytes_sent_per_epoch", chosen.bytes_sent_per_epoch},
       {"peak_rss_bytes", comm.allreduce<std::uint64_t>(peak_rss_bytes(), dist::Op::kMax)},
       {"seconds", {{"setup", setup_seconds}, {"train", train_seconds}}}});
  if (resume) manifest["resumed_from"] = resume->path;
  if (o.restarts > 1) manifest["restarts"] = restarts;
  model::write_model_dir(comm, o.out, model, ratings.users, ratings.items, manifest, o.overwrite);

  console.out("trained {} (k = {}) on {} ratings ({} users, {} items): {} epochs in {:.2f} s\n",
              o.solver, o.model.rank, report.ratings, ratings.users.total_rows(),
              ratings.items.total_rows(), chosen.loop.history.size(), train_seconds);
  if (const auto rmse = objective.train_rmse()) {
    console.out("  {:<11} RMSE {:.5f}  loss {:.6f}\n", "train", *rmse, objective.per_rating());
  } else {
    console.out("  {:<11} loss {:.6f}\n", "train", objective.per_rating());
  }
  if (chosen.validation) {
    const std::string set = o.holdout > 0.0 ? "holdout" : "validation";
    if (o.feedback == model::Feedback::kExplicit) {
      console.out("{}", score_text(set, chosen.validation->score));
    }
    if (eval::is_ranking(validation->metric().kind)) {
      console.out("  {:<11} {} {}  ({} users ranked, their training items left out)\n", set,
                  validation->metric().name(), metric_text(chosen.validation->watched),
                  validation->users_ranked());
    }
  }
  if (test_score) console.out("{}", score_text("test", *test_score));
  console.out("model written to {}\n", o.out);
  console.log("peak RSS {:.1f} MiB per rank\n", static_cast<double>(peak_rss_bytes()) / (1 << 20));
  return 0;
}

}  // namespace

Command train_command() {
  return make_command<TrainOptions>("train",
                                    "Train a matrix factorization model and write it as a model "
                                    "directory",
                                    declare_train_options, run, check_train_options);
}

}  // namespace dmf::cli
