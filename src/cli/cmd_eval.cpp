// dmf eval: how well a trained model predicts a ratings file.
#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/metric_text.hpp"
#include "dmf/cli/model_input.hpp"
#include "dmf/core/parallel.hpp"

namespace dmf::cli {
namespace {

struct EvalOptions {
  std::string model;
  std::string data;
  data::LoadOptions load;
  eval::ColdStart cold_start = eval::ColdStart::kMean;
  bool json = false;
  int threads = 0;
};

void declare(ParamSet& params, EvalOptions& o) {
  params.section("Input");
  declare_model(params, o.model);
  params.add("data", &o.data, "The ratings to measure the model on").value_name("FILE").required();
  declare_load_options(params, o.load);
  params.section("Evaluation");
  declare_cold_start(params, o.cold_start);
  params.flag("json", &o.json, "Print one JSON object instead of text");
  declare_threads(params, o.threads);
  params.example("dmf eval --model model --data ml.test",
                 "RMSE and MAE of the model on the test ratings");
  params.example("dmf eval --model model --data ml.test --cold-start drop --json",
                 "Only users and items the model knows, as one JSON object");
}

int run(Context& context, const EvalOptions& o, const ParamSet& /*params*/) {
  const auto& comm = context.comm;
  const int threads = comm.agree([&] { return resolve_threads(o.threads); });
  const ModelAndRatings input =
      read_model_and_ratings(comm, o.model, o.data, o.load, o.cold_start, threads);
  const eval::SetScore score = input.set->score(comm, input.loaded.model, threads);
  // Nothing scored (every line skipped, or every rating cold and left out):
  // RMSE and MAE are undefined, not 0.
  if (score.count == 0) {
    context.console.warn("{} has no ratings to score; RMSE and MAE are n/a", o.data);
  }
  if (o.json) {
    const nlohmann::json out{{"rmse", metric_json(score.rmse)},
                             {"mae", metric_json(score.mae)},
                             {"count", score.count},
                             {"cold", score.cold},
                             {"cold_start", to_string(o.cold_start)},
                             {"model", o.model},
                             {"data", o.data}};
    context.console.out("{}\n", out.dump());
    return 0;
  }
  const std::string cold =
      score.cold == 0 ? "0 cold"
      : o.cold_start == eval::ColdStart::kDrop
          ? fmt::format("{} cold left out", score.cold)
          : fmt::format("{} cold, predicted from the mean and known biases", score.cold);
  context.console.out("{} on {}: RMSE {}  MAE {}  ({} ratings, {})\n", o.model, o.data,
                      metric_text(score.rmse), metric_text(score.mae), score.count, cold);
  return 0;
}

}  // namespace

Command eval_command() {
  return make_command<EvalOptions>(
      "eval", "Measure a trained model on a ratings file: RMSE, MAE and counts", declare, run);
}

}  // namespace dmf::cli
