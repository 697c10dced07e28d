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
  params.add("biases", &o.biases, "Which bias terms the model has");
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
  auto solver = params.add("solver", &o.solver,
                           "als: alternating least squares, each row solved exactly; gd: "
                           "synchronous mini-batch gradient descent with an --optimizer");
  // An optimizer's name given as the solver: say where it goes.
  for (const auto& entry : enum_names(solvers::OptimizerKind{})) {
    solver.hint(std::string(entry.name),
                fmt::format("{0} is an optimizer of the gd solver: --solver gd --optimizer {0}",
                            entry.name));
  }
  declare_threads(params, o.threads);
  params
      .add("restarts", &o.restarts,
           "Train from this many initializations (seeds S, S+1, ...) and keep the one with the "
           "best validation RMSE")
      .value_name("N")
      .at_least(1);
}

void declare_optimizer(ParamSet& params, TrainOptions& o) {
  params.section("Optimizer (--solver gd)");
  params.add("optimizer", &o.optimizer.kind, "The update rule (see the README for each formula)")
      .solvers({"gd"});
  params
      .add("lr", &o.lr,
           "Learning rate (default per optimizer: sgd 0.05, momentum 0.005, nesterov 0.005, "
           "adagrad 0.1, adagrad-avg 0.01, rmsprop 0.01, adam 0.01)")
      .value_name("ETA")
      .check([](const std::optional<double>& l) { return !l || *l > 0.0; }, "must be positive")
      .solvers({"gd"});
  params
      .add("batch-size", &o.batch_size,
           "Ratings per step over all ranks; 0, or at least the number of ratings, is full-batch "
           "gradient descent")
      .value_name("B")
      .solvers({"gd"});
  params
      .add("schedule", &o.schedule.kind,
           "Learning rate over time t in epochs: constant; inv-sqrt lr/sqrt(t+c); "
           "inv lr*t1/(t+t1); step lr*factor^floor(t/every)")
      .solvers({"gd"});
  params.add("momentum", &o.optimizer.momentum, "Momentum of momentum and nesterov")
      .value_name("M")
      .at_least(0.0)
      .below(1.0)
      .solvers({"gd"});
  params.add("beta1", &o.optimizer.beta1, "Adam's decay of the gradient average")
      .value_name("B1")
      .at_least(0.0)
      .below(1.0)
      .solvers({"gd"});
  params.add("beta2", &o.optimizer.beta2, "Adam's decay of the squared-gradient average")
      .value_name("B2")
      .at_least(0.0)
      .below(1.0)
      .solvers({"gd"});
  params.add("decay", &o.optimizer.decay, "Decay of rmsprop's average of squared gradients")
      .value_name("RHO")
      .at_least(0.0)
      .below(1.0)
      .solvers({"gd"});
  params.add("eps", &o.optimizer.eps, "Epsilon of adagrad, adagrad-avg, rmsprop and adam")
      .value_name("E")
      .at_least(0.0)
      .solvers({"gd"});
  params
      .add("eps-placement", &o.optimizer.eps_placement,
           "outside: g / (sqrt(s) + eps); inside: g / sqrt(s + eps)")
      .solvers({"gd"});
  params.add("schedule-c", &o.schedule.c, "c of --schedule inv-sqrt")
      .value_name("C")
      .positive()
      .solvers({"gd"});
  params.add("schedule-t1", &o.schedule.t1, "t1 of --schedule inv, in epochs")
      .value_name("T1")
      .positive()
      .solvers({"gd"});
  params.add("step-every", &o.schedule.step_every, "Epochs between decays of --schedule step")
      .value_name("N")
      .positive()
      .solvers({"gd"});
  params.add("step-factor", &o.schedule.step_factor, "Factor of each decay of --schedule step")
      .value_name("F")
      .check([](double f) { return f > 0.0 && f <= 1.0; }, "must be in (0, 1]")
      .solvers({"gd"});
  params
      .add("sparse-allreduce", &o.sparse_allreduce,
           "How item gradients are summed over ranks: on, only the rows a step touched; off, "
           "one dense allreduce; auto, whichever moves fewer bytes")
      .solvers({"gd"});
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
           "Stop when validation RMSE has not improved for this many epochs, and write the "
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
      .solvers({"gd"});
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
}

}  // namespace

void declare_train_options(ParamSet& params, TrainOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The training ratings file")
      .value_name("FILE")
      .required()
      .outcome_free();
  declare_load_options(params, o.load);
  declare_model_options(params, o.model);
  declare_init_options(params, o.model, "Seed of the initial factors and of gd's sampling order");
  declare_solver(params, o);
  declare_optimizer(params, o);
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

void check_train_options(const TrainOptions& o, const ParamSet& params) {
  DMF_CHECK(o.holdout == 0.0 || o.validation.empty(),
            "--holdout and --validation both name a validation set; give one");
  const bool has_validation = o.holdout > 0.0 || !o.validation.empty();
  DMF_CHECK(o.early_stop == 0 || has_validation,
            "--early-stop watches validation RMSE; give --validation FILE or --holdout R");
  DMF_CHECK(o.restarts == 1 || has_validation,
            "--restarts keeps the run with the best validation RMSE; give --validation FILE or "
            "--holdout R");
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
  const std::string solver(to_string(o.solver));
  for (const auto& spec : params.specs()) {
    if (spec.solvers.empty() || std::ranges::find(spec.solvers, solver) != spec.solvers.end()) {
      continue;
    }
    DMF_CHECK(!params.given(spec.name), "--{} applies to --solver {}, not {}", spec.name,
              fmt::join(spec.solvers, " or --solver "), solver);
  }
}

solvers::GdOptions gd_options(const TrainOptions& o, int threads) {
  solvers::GdOptions gd;
  gd.regularization = regularization(o.model);
  gd.optimizer = o.optimizer;
  gd.learning_rate = o.lr.value_or(0.0);
  gd.schedule = o.schedule;
  gd.batch_size = o.batch_size;
  gd.sparse = o.sparse_allreduce;
  gd.seed = o.model.seed;
  gd.threads = threads;
  return gd;
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

}  // namespace dmf::cli
