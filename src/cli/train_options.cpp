#include "dmf/cli/train_options.hpp"

#include "dmf/cli/load_options.hpp"
#include "dmf/core/error.hpp"

namespace dmf::cli {
void declare_model_options(ParamSet& params, ModelOptions& o) {
  params.section("Model");
  params.add("rank", &o.rank, "Latent factors per user and item (k)")
      .value_name("K")
      .alias("k")
      .alias("factors")
      .at_least(1);
  params.add("lambda", &o.lambda, "Regularization weight of both sides")
      .value_name("L")
      .at_least(0.0);
  params.add("biases", &o.biases,
             "Which bias terms the model has (an implicit-feedback model has none)");
  params.add("lambda-user", &o.lambda_user, "Regularization of the user side (default: --lambda)")
      .value_name("L")
      .check([](const std::optional<double>& l) { return !l || *l >= 0.0; }, "must be at least 0");
  params.add("lambda-item", &o.lambda_item, "Regularization of the item side (default: --lambda)")
      .value_name("L")
      .check([](const std::optional<double>& l) { return !l || *l >= 0.0; }, "must be at least 0");
  params.add("reg-weighting", &o.reg_weighting,
             "count: a row's penalty is weighted by its number of ratings (Spark's ALS); "
             "uniform: weight 1");
}

void declare_init_options(ParamSet& params, ModelOptions& o, std::string seed_help) {
  params.add("seed", &o.seed, std::move(seed_help)).value_name("S");
  params
      .add("init-scale", &o.init_scale,
           "Initial factor entries are N(0, s^2/k): a row's norm is about s")
      .value_name("S")
      .at_least(0.0);
}

solvers::Regularization regularization(const ModelOptions& o) {
  return {o.lambda_user.value_or(o.lambda), o.lambda_item.value_or(o.lambda), o.reg_weighting};
}

namespace {

void declare_solver(ParamSet& params, TrainOptions& o) {
  params.section("Solver");
  std::vector<std::string> what;
  for (const auto& entry : solvers::registered_solvers()) {
    what.push_back(entry.feedback == model::Feedback::kExplicit
                       ? fmt::format("{}: {}", entry.name, entry.summary)
                       : fmt::format("{} with --feedback {}: {}", entry.name,
                                     to_string(entry.feedback), entry.summary));
  }
  auto solver = params.add("solver", &o.solver, fmt::format("{}", fmt::join(what, "; ")))
                    .one_of(solvers::solver_names());
  params.add("feedback", &o.feedback,
             "explicit: the values are ratings to predict; implicit: they are counts of what "
             "users did (plays, clicks; 1 without a value column), and the model ranks items by "
             "preference (confidence-weighted, over all user-item pairs)");
  declare_threads(params, o.threads);
  params
      .add("restarts", &o.restarts,
           "Train from this many initializations (seeds S, S+1, ...) and keep the one with the "
           "best value of --validation-metric")
      .value_name("N")
      .at_least(1);
  // Each solver's own options, in sections of their own.
  for (const auto& entry : solvers::registered_solvers()) {
    o.solver_configs[{std::string(entry.name), entry.feedback}] = entry.declare(params, solver);
  }
}

void declare_stopping(ParamSet& params, TrainOptions& o) {
  params.section("Stopping");
  params
      .add("epochs", &o.epochs,
           "Most epochs (an ALS epoch solves every user, then every item; a gd epoch is one "
           "pass over the ratings)")
      .value_name("N")
      .at_least(0)
      .free_on_resume();
  params
      .add("early-stop", &o.early_stop,
           "Stop when --validation-metric has not improved for this many epochs, and write the "
           "best epoch's model (0: off; needs --validation or --holdout)")
      .value_name("PATIENCE")
      .at_least(0)
      .free_on_resume();
  params
      .add("tol-objective", &o.tol_objective,
           "Stop when an epoch changes the objective by less than this fraction (0: never)")
      .value_name("T")
      .at_least(0.0)
      .free_on_resume();
  params
      .add("tol-params", &o.tol_params,
           "Stop when an epoch moves the factors and biases by less than this fraction of "
           "their norm (0: never)")
      .value_name("T")
      .at_least(0.0)
      .free_on_resume();
  params
      .add("tol-gradient", &o.tol_gradient,
           "gd: stop when the gradient norm per rating, ||grad L|| / |ratings|, falls below "
           "this (0: never)")
      .value_name("T")
      .at_least(0.0)
      .free_on_resume()
      .solvers(solvers::gradient_solver_names());
}

void declare_held_out(ParamSet& params, TrainOptions& o) {
  params.section("Held-out sets");
  params
      .add("validation", &o.validation,
           "Ratings to measure every epoch (same format options as --data)")
      .value_name("FILE")
      .free_on_resume();
  params
      .add("holdout", &o.holdout,
           "Hold out this fraction of --data as the validation set, by the rule of "
           "`dmf split --by random --test-ratio R --seed S` (S = --split-seed)")
      .value_name("R")
      .at_least(0.0)
      .below(1.0);
  params.add("test", &o.test, "Ratings to measure once, after training")
      .value_name("FILE")
      .free_on_resume();
  params.add("split-seed", &o.split_seed, "Seed of --holdout's split").value_name("S");
  params
      .add("validation-metric", &o.validation_metric,
           "The figure of the validation set logged every epoch and watched by --early-stop and "
           "--restarts (higher is better for a ranking metric): " +
               eval::accepted_metrics(/*per_user_only=*/true) +
               " (ndcg means ndcg@10; formulas as for dmf eval; a user's ranking leaves out the "
               "user's training items, as dmf eval --exclude-rated does; default: rmse, and ndcg@10 under --feedback implicit)")
      .value_name("METRIC");
  params
      .add("relevant-threshold", &o.relevant_threshold,
           "A ranking --validation-metric counts a validation rating as relevant when it is at "
           "least R (default: every validation rating is relevant)")
      .value_name("R");
}

}  // namespace

void declare_train_options(ParamSet& params, TrainOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The training ratings file (or a directory of part files)")
      .value_name("FILE")
      .required()
      .outcome_free();
  declare_load_options(params, o.load);
  declare_model_options(params, o.model);
  declare_init_options(params, o.model, "Seed of the initial factors and of gd's sampling order");
  declare_solver(params, o);
  declare_stopping(params, o);
  declare_held_out(params, o);

  params.section("Output");
  params.add("out", &o.out, "The model directory to write")
      .value_name("DIR")
      .required()
      .outcome_free();
  params
      .add("metrics-out", &o.metrics_out,
           "Also write every epoch's metrics as JSON lines (- for standard output)")
      .value_name("FILE")
      .outcome_free();
  params
      .flag("overwrite", &o.overwrite,
            "Replace an existing model directory (only a model directory) or metrics file")
      .outcome_free();

  params.section("Checkpoints");
  params
      .add("checkpoint-dir", &o.checkpoint_dir,
           "Write checkpoints here (DIR/ckpt-*, DIR/latest), and on SIGTERM, SIGINT or "
           "SIGUSR1 checkpoint and exit with code 75")
      .value_name("DIR")
      .outcome_free();
  params
      .add("resume", &o.resume,
           "auto: go on from --checkpoint-dir's latest usable checkpoint, or start fresh when "
           "there is none; PATH: go on from that checkpoint, or fail. --metrics-out is "
           "rewritten from the checkpoint's history")
      .value_name("auto|PATH")
      .outcome_free();
  params
      .add("checkpoint-every", &o.checkpoint_every,
           "Checkpoint after every N epochs (0: not by epochs)")
      .value_name("N")
      .at_least(0)
      .outcome_free();
  params
      .add("checkpoint-seconds", &o.checkpoint_seconds,
           "Checkpoint at the first safe point (end of an epoch, or between two gd steps) "
           "once S seconds have passed since the last one (0: not by time)")
      .value_name("S")
      .at_least(0.0)
      .outcome_free();
  params.add("keep-checkpoints", &o.keep_checkpoints, "How many checkpoints to keep, newest first")
      .value_name("K")
      .at_least(1)
      .outcome_free();

  params.example("dmf train --data ratings.csv --holdout 0.1 --rank 16 --lambda 0.05 --out model",
                 "ALS with 16 factors, 10% of the ratings held out to measure every epoch");
  params.example(
      "mpirun -n 4 dmf train --data ratings.csv --validation valid.csv --solver gd "
      "--optimizer adam --lr 0.01 --epochs 50 --early-stop 3 --out model",
      "Adam on 4 ranks, stopping when validation RMSE has not improved for 3 epochs");
}

namespace {

/// Under --feedback implicit: a solver that has that form, and none of the
/// options that mean nothing for it.
void check_implicit(const TrainOptions& o, const ParamSet& params) {
  DMF_CHECK(solvers::find_solver(o.solver, o.feedback) != nullptr,
            "--solver {} trains on explicit ratings only; --feedback implicit trains with "
            "--solver {}",
            o.solver,
            fmt::join(solvers::solver_names(model::Feedback::kImplicit), " or --solver "));
  DMF_CHECK(!params.given("biases") || o.model.biases == model::Biases::kNone,
            "--biases {}: an implicit-feedback model has no biases (it fits preferences 0 and 1 "
            "over all pairs); leave --biases out",
            to_string(o.model.biases));
  // An implicit model predicts no ratings: it ranks. The validation set is
  // watched by a ranking metric (ndcg@10 by default), never by RMSE; the
  // test set is scored by dmf eval.
  const eval::MetricSpec metric = validation_metric(o);
  DMF_CHECK(eval::is_ranking(metric.kind),
            "--validation-metric {}: an implicit-feedback model predicts no ratings; watch a "
            "ranking metric such as ndcg@10 (the default)",
            metric.name());
  DMF_CHECK(!params.given("test"),
            "--test is scored by RMSE, which means nothing under --feedback implicit; score the "
            "model with `dmf eval --model DIR --data TEST --metrics ndcg@10,recall@10 "
            "--exclude-rated TRAIN`");
}

}  // namespace

void check_train_options(const TrainOptions& o, const ParamSet& params) {
  if (o.feedback == model::Feedback::kImplicit) check_implicit(o, params);
  DMF_CHECK(o.holdout == 0.0 || o.validation.empty(),
            "--holdout and --validation both name a validation set; give one");
  const bool has_validation = o.holdout > 0.0 || !o.validation.empty();
  const eval::MetricSpec metric = validation_metric(o);
  DMF_CHECK(o.validation_metric.empty() || has_validation,
            "--validation-metric {} is measured on the validation set; give --validation FILE or "
            "--holdout R",
            o.validation_metric);
  DMF_CHECK(!o.relevant_threshold || eval::is_ranking(metric.kind),
            "--relevant-threshold applies to a ranking --validation-metric (such as ndcg@10), "
            "not {}",
            metric.name());
  DMF_CHECK(o.early_stop == 0 || has_validation,
            "--early-stop watches validation {}; give --validation FILE or --holdout R",
            train::metric_label(metric));
  DMF_CHECK(o.restarts == 1 || has_validation,
            "--restarts keeps the run with the best validation {}; give --validation FILE or "
            "--holdout R",
            train::metric_label(metric));
  DMF_CHECK(o.resume != "auto" || !o.checkpoint_dir.empty(),
            "--resume auto looks in --checkpoint-dir; give --checkpoint-dir DIR");
  DMF_CHECK(o.restarts == 1 || (o.checkpoint_dir.empty() && o.resume.empty()),
            "checkpoints hold one run; train each --restarts seed as its own job "
            "(--seed S, see jobs/slurm/sweep.sbatch) to checkpoint them");
  for (const char* name : {"checkpoint-every", "checkpoint-seconds", "keep-checkpoints"}) {
    DMF_CHECK(!params.given(name) || !o.checkpoint_dir.empty(), "--{} needs --checkpoint-dir DIR",
              name);
  }
  // An option declared for other solvers is refused: it would be ignored.
  const std::string& solver = o.solver;
  for (const auto& name : params.names()) {
    const auto takers = params.solvers_of(name);
    if (takers.empty() || std::ranges::find(takers, solver) != takers.end()) continue;
    DMF_CHECK(!params.given(name), "--{} applies to --solver {}, not {}", name,
              fmt::join(takers, " or --solver "), solver);
  }
  for (const auto& name : params.names()) {
    const ParamSpec& spec = params.spec(name);  // the --solver's own declaration
    const auto& [option, value] = spec.only_with;
    if (option.empty() || !params.given(spec.name)) continue;
    const std::string current = params.spec(option).current();
    DMF_CHECK(current == value, "--{} applies to --{} {}, not {}", spec.name, option, value,
              current);
  }
}

model::Biases model_biases(const TrainOptions& o) {
  return o.feedback == model::Feedback::kImplicit ? model::Biases::kNone : o.model.biases;
}

train::LoopOptions loop_options(const TrainOptions& o, int threads) {
  train::LoopOptions loop;
  loop.epochs = o.epochs;
  loop.threads = threads;
  loop.tol_objective = o.tol_objective;
  loop.tol_gradient = o.tol_gradient;
  loop.tol_params = o.tol_params;
  loop.early_stop = o.early_stop;
  return loop;
}

eval::MetricSpec validation_metric(const TrainOptions& o) {
  // A ranking metric written without @k (ndcg) is taken at 10, as by dmf eval.
  constexpr int kDefaultCutOff = 10;
  if (o.validation_metric.empty()) return default_validation_metric(o);
  return eval::parse_per_user_metric(o.validation_metric, kDefaultCutOff, "--validation-metric");
}

eval::MetricSpec default_validation_metric(const TrainOptions& o) {
  if (o.feedback == model::Feedback::kImplicit) return {eval::MetricKind::kNdcg, 10};
  return {eval::MetricKind::kRmse, 0};
}

}  // namespace dmf::cli
