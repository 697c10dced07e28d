// The options of `dmf train`: data, model, training loop, each registered
// solver's own options, and output.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "dmf/cli/params.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/eval/ranking_metrics.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/objective.hpp"
#include "dmf/solvers/registry.hpp"
#include "dmf/train/trainer.hpp"

namespace dmf::cli {

/// The model and its objective: what train and gradcheck share.
struct ModelOptions {
  int rank = 32;
  double lambda = 0.05;
  std::optional<double> lambda_user;
  std::optional<double> lambda_item;
  solvers::RegWeighting reg_weighting = solvers::RegWeighting::kCount;
  model::Biases biases = model::Biases::kBoth;
  std::uint64_t seed = 1;
  double init_scale = 0.1;
};

/// Declares the "Model" section (--rank, --biases, --lambda*, --reg-weighting);
/// --seed and --init-scale are declared by the caller, in its own section.
void declare_model_options(ParamSet& params, ModelOptions& o);
/// Declares --seed (described by `seed_help`: what else the seed decides)
/// and --init-scale.
void declare_init_options(ParamSet& params, ModelOptions& o, std::string seed_help);

[[nodiscard]] solvers::Regularization regularization(const ModelOptions& o);

struct TrainOptions {
  std::string data;
  data::LoadOptions load;
  std::string validation;
  std::string test;
  double holdout = 0.0;
  std::uint64_t split_seed = 1;
  std::string validation_metric;  // as given; "" for the default (see validation_metric())
  std::optional<double> relevant_threshold;

  ModelOptions model;

  std::string solver = solvers::default_solver();  // a registered solver's name
  model::Feedback feedback = model::Feedback::kExplicit;
  int epochs = 10;
  double tol_objective = 0.0;
  double tol_gradient = 0.0;
  double tol_params = 0.0;
  int early_stop = 0;
  int restarts = 1;
  int threads = 0;

  /// Every registered solver's options, by name and feedback, as declared
  /// and parsed.
  std::map<std::pair<std::string, model::Feedback>, std::shared_ptr<solvers::SolverConfig>>
      solver_configs;

  /// The options of --solver's solver for --feedback.
  [[nodiscard]] const solvers::SolverConfig& solver_config() const {
    return *solver_configs.at({solver, feedback});
  }

  std::string out;
  std::string metrics_out;
  bool overwrite = false;

  std::string checkpoint_dir;
  int checkpoint_every = 0;
  double checkpoint_seconds = 600.0;
  int keep_checkpoints = 3;
  std::string resume;  // "auto", a checkpoint, or "" (start fresh)
};

void declare_train_options(ParamSet& params, TrainOptions& o);

/// Collective checks across options (per-solver options, held-out sets).
void check_train_options(const TrainOptions& o, const ParamSet& params);

[[nodiscard]] train::LoopOptions loop_options(const TrainOptions& o, int threads);

/// The metric of the validation set that is logged every epoch and watched
/// by --early-stop and --restarts: --validation-metric, or when it is not
/// given default_validation_metric(o). Throws dmf::Error for a bad name.
[[nodiscard]] eval::MetricSpec validation_metric(const TrainOptions& o);

/// The validation metric of a run that names none: rmse. The one place that
/// decides it (a model whose kind calls for a ranking metric gets it here).
[[nodiscard]] eval::MetricSpec default_validation_metric(const TrainOptions& o);

/// The biases the model has: --biases, and none under implicit feedback
/// (whose model is p_u·q_i alone).
[[nodiscard]] model::Biases model_biases(const TrainOptions& o);

}  // namespace dmf::cli
