// dmf train: a model from a ratings file, with held-out metrics, written as a
// model directory (DESIGN.md §6).
#include <optional>

#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/core/memory.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/fingerprint.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/data/split.hpp"
#include "dmf/model/init.hpp"
#include "dmf/model/model_dir.hpp"
#include "dmf/solvers/als.hpp"
#include "dmf/train/trainer.hpp"

namespace dmf::cli {
namespace {

enum class SolverKind { kAls };

std::span<const EnumName<SolverKind>> enum_names(SolverKind /*tag*/) {
  static constexpr std::array<EnumName<SolverKind>, 1> kNames{{{SolverKind::kAls, "als"}}};
  return kNames;
}

struct TrainOptions {
  std::string data;
  data::LoadOptions load;
  std::string validation;
  std::string test;
  double holdout = 0.0;
  std::uint64_t split_seed = 1;

  SolverKind solver = SolverKind::kAls;
  int rank = 32;
  double lambda = 0.05;
  std::optional<double> lambda_user;
  std::optional<double> lambda_item;
  solvers::RegWeighting reg_weighting = solvers::RegWeighting::kCount;
  model::Biases biases = model::Biases::kBoth;
  int epochs = 10;
  std::uint64_t seed = 1;
  double init_scale = 0.1;
  int threads = 0;

  std::string out;
  std::string metrics_out;
  bool overwrite = false;
};

void declare(ParamSet& params, TrainOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The training ratings file").value_name("FILE").required();
  declare_load_options(params, o.load);
  params.add("validation", &o.validation,
             "Ratings to measure every epoch (same format options as --data)")
      .value_name("FILE");
  params.add("test", &o.test, "Ratings to measure once, after training").value_name("FILE");
  params.add("holdout", &o.holdout,
             "Hold out this fraction of --data as the validation set, by the rule of "
             "`dmf split --by random --test-ratio R --seed S` (S = --split-seed)")
      .value_name("R")
      .at_least(0.0)
      .check([](double r) { return r < 1.0; }, "must be below 1");
  params.add("split-seed", &o.split_seed, "Seed of --holdout's split").value_name("S");

  params.section("Model");
  params.add("rank", &o.rank, "Latent factors per user and item (k)").value_name("K").at_least(1);
  params.add("biases", &o.biases, "Which bias terms the model has");
  params.add("lambda", &o.lambda, "Regularization weight of both sides").value_name("L").at_least(0.0);
  params.add("lambda-user", &o.lambda_user, "Regularization of the user side (default: --lambda)")
      .value_name("L")
      .check([](const std::optional<double>& l) { return !l || *l >= 0.0; }, "must be at least 0");
  params.add("lambda-item", &o.lambda_item, "Regularization of the item side (default: --lambda)")
      .value_name("L")
      .check([](const std::optional<double>& l) { return !l || *l >= 0.0; }, "must be at least 0");
  params.add("reg-weighting", &o.reg_weighting,
             "count: a row's penalty is weighted by its number of ratings (Spark's ALS); "
             "uniform: weight 1");

  params.section("Training");
  params.add("solver", &o.solver, "als: alternating least squares, each row solved exactly");
  params.add("epochs", &o.epochs, "Epochs (an ALS epoch solves every user, then every item)")
      .value_name("N")
      .at_least(0);
  params.add("seed", &o.seed, "Seed of the initial factors").value_name("S");
  params.add("init-scale", &o.init_scale,
             "Initial factor entries are N(0, s^2/k): a row's norm is about s")
      .value_name("S")
      .at_least(0.0);
  declare_threads(params, o.threads);

  params.section("Output");
  params.add("out", &o.out, "The model directory to write").value_name("DIR").required();
  params.add("metrics-out", &o.metrics_out, "Also write every epoch's metrics as JSON lines")
      .value_name("FILE");
  params.flag("overwrite", &o.overwrite,
              "Replace an existing model directory (only a model directory) or metrics file");
}

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
  return {{"rmse", s.rmse}, {"mae", s.mae}, {"count", s.count}, {"cold", s.cold}};
}

std::string score_text(std::string_view name, const eval::SetScore& s) {
  return fmt::format("  {:<11} RMSE {:.5f}  MAE {:.5f}  ({} ratings, {} cold)\n", name, s.rmse,
                     s.mae, s.count, s.cold);
}

int run(Context& context, const TrainOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  const auto& console = context.console;
  comm.agree([&] {
    DMF_CHECK(o.holdout == 0.0 || o.validation.empty(),
              "--holdout and --validation both name a validation set; give one");
  });
  // Refuse an existing --out now rather than after training (the write
  // checks again, atomically).
  model::check_model_dir_writable(comm, o.out, o.overwrite);
  Stopwatch clock;
  const int threads = resolve_threads(o.threads);
  data::LoadOptions load = o.load;
  load.threads = threads;
  const data::SplitOptions split{data::SplitMethod::kRandom, o.holdout, 0.0, o.split_seed};

  data::LoadOptions train_load = load;
  if (o.holdout > 0.0) {
    train_load.keep = [split](std::string_view user, std::string_view item) {
      return data::random_subset(split, user, item) == data::Subset::kTrain;
    };
  }
  const data::RatingsData ratings = data::load_ratings(comm, o.data, train_load);
  const auto& report = ratings.report;
  console.log("loaded {} ratings ({} users, {} items) from {} in {:.2f} s\n", report.ratings,
              ratings.users.total_rows(), ratings.items.total_rows(), o.data, report.seconds());

  model::Model model =
      model::init_model(comm, ratings, o.rank, o.biases, o.seed, o.init_scale);
  // Validation and test ratings are read as they are, one prediction each.
  const data::LoadOptions& held_load = load;
  std::optional<eval::RatingSet> validation;
  if (auto local = read_validation(comm, o, held_load, split)) {
    validation.emplace(comm, model, ratings.users, ratings.items, *local,
                       o.validation.empty() ? o.data : o.validation, eval::ColdStart::kMean);
  }
  std::optional<eval::RatingSet> test;
  if (!o.test.empty()) {
    test.emplace(comm, model, ratings.users, ratings.items,
                 data::read_ratings_here(comm, o.test, held_load), o.test,
                 eval::ColdStart::kMean);
  }

  solvers::AlsOptions als;
  als.regularization = {o.lambda_user.value_or(o.lambda), o.lambda_item.value_or(o.lambda),
                        o.reg_weighting};
  als.threads = threads;
  solvers::AlsSolver solver(comm, ratings, model, als);

  std::optional<train::MetricsLog> metrics;
  if (!o.metrics_out.empty()) metrics.emplace(comm, o.metrics_out, o.overwrite);
  train::Progress progress(console, o.epochs, train::Progress::stderr_is_terminal());
  const double setup_seconds = clock.seconds();
  const auto history = train::run_epochs(comm, solver, model, validation ? &*validation : nullptr,
                                         {o.epochs, threads},
                                         {&progress, metrics ? &*metrics : nullptr});
  const double train_seconds = clock.seconds() - setup_seconds;

  // The final figures, measured afresh (also right for --epochs 0).
  const solvers::Objective objective = solver.objective();
  nlohmann::json final_metrics{{"loss", objective.per_rating()},
                               {"objective", objective.value()},
                               {"train_rmse", objective.rmse()}};
  std::optional<eval::SetScore> validation_score;
  std::optional<eval::SetScore> test_score;
  if (validation) {
    validation_score = validation->score(comm, model, threads);
    final_metrics["validation"] = score_json(*validation_score);
  }
  if (test) {
    test_score = test->score(comm, model, threads);
    final_metrics["test"] = score_json(*test_score);
  }

  const float lowest = ratings.by_user.values.empty()
                           ? std::numeric_limits<float>::max()
                           : *std::ranges::min_element(ratings.by_user.values);
  const float highest = ratings.by_user.values.empty()
                            ? std::numeric_limits<float>::lowest()
                            : *std::ranges::max_element(ratings.by_user.values);
  nlohmann::json history_json = nlohmann::json::array();
  for (const auto& record : history) history_json.push_back(train::MetricsLog::to_json(record));
  const nlohmann::json manifest{
      {"dmf_version", DMF_VERSION},
      {"solver", to_string(o.solver)},
      {"k", o.rank},
      {"biases", to_string(o.biases)},
      {"mu", model.mu},
      {"rating_min", comm.allreduce(lowest, dist::Op::kMin)},
      {"rating_max", comm.allreduce(highest, dist::Op::kMax)},
      {"epochs", static_cast<int>(history.size())},
      {"data",
       {{"path", o.data},
        {"fingerprint", data::fingerprint(comm, ratings)},
        {"ratings", report.ratings},
        {"users", ratings.users.total_rows()},
        {"items", ratings.items.total_rows()}}},
      {"metrics", final_metrics},
      {"history", history_json},
      {"config", params.effective_config()},
      {"layout", {{"ranks", comm.size()}, {"threads", threads}}},
      {"bytes_sent_per_epoch",
       comm.allreduce<std::uint64_t>(solver.traffic_per_epoch().bytes_sent, dist::Op::kSum)},
      {"peak_rss_bytes", comm.allreduce<std::uint64_t>(peak_rss_bytes(), dist::Op::kMax)},
      {"seconds", {{"setup", setup_seconds}, {"train", train_seconds}}}};
  model::write_model_dir(comm, o.out, model, ratings.users, ratings.items, manifest, o.overwrite);

  console.out("trained {} (k = {}) on {} ratings ({} users, {} items): {} epochs in {:.2f} s\n",
              to_string(o.solver), o.rank, report.ratings, ratings.users.total_rows(),
              ratings.items.total_rows(), history.size(), train_seconds);
  console.out("  {:<11} RMSE {:.5f}  loss {:.6f}\n", "train", objective.rmse(),
              objective.per_rating());
  if (validation_score) console.out("{}", score_text(o.holdout > 0.0 ? "holdout" : "validation", *validation_score));
  if (test_score) console.out("{}", score_text("test", *test_score));
  console.out("model written to {}\n", o.out);
  console.log("peak RSS {:.1f} MiB per rank\n", static_cast<double>(peak_rss_bytes()) / (1 << 20));
  return 0;
}

}  // namespace

Command train_command() {
  return make_command<TrainOptions>(
      "train", "Train a matrix factorization model and write it as a model directory", declare,
      run);
}

}  // namespace dmf::cli
