// dmf predict: the model's prediction for every (user, item) pair of a file.
#include <algorithm>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/model_input.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/dist/ordered_output.hpp"

namespace dmf::cli {
namespace {

struct PredictOptions {
  std::string model;
  std::string data;
  data::LoadOptions load;
  eval::ColdStart cold_start = eval::ColdStart::kMean;
  bool clip = false;
  std::string out;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, PredictOptions& o) {
  params.section("Input");
  declare_model(params, o.model);
  params.add("data", &o.data,
             "The (user, item) pairs, in any ratings format; a file without ratings needs "
             "--columns user,item")
      .value_name("FILE")
      .required();
  declare_load_options(params, o.load);
  params.section("Prediction");
  declare_cold_start(params, o.cold_start);
  params.flag("clip", &o.clip, "Clip predictions to the training ratings' range");
  declare_threads(params, o.threads);
  params.section("Output");
  params
      .add("out", &o.out,
           "CSV with a header line user,item,prediction and one line per input pair, in "
           "input order (under --cold-start drop, cold pairs are left out); - for standard "
           "output")
      .value_name("FILE")
      .required();
  params.flag("overwrite", &o.overwrite, "Replace --out if it exists");
  params.example("dmf predict --model model --data pairs.csv --columns user,item --out "
                 "predictions.csv",
                 "A prediction for every (user, item) pair of a file without ratings");
  params.example("dmf predict --model model --data ml.test --clip --out predictions.csv",
                 "Predictions for rated pairs, clipped to the training ratings' range");
}

/// The training rating range stored in the manifest.
std::pair<float, float> training_range(const dist::Comm& comm, const model::LoadedModel& loaded,
                                       const std::string& dir) {
  return comm.agree([&] {
    const auto& m = loaded.manifest;
    DMF_CHECK(m.contains("rating_min") && m.contains("rating_max"),
              "--clip: the manifest of {} has no rating_min / rating_max", dir);
    return std::pair<float, float>(m["rating_min"].get<float>(), m["rating_max"].get<float>());
  });
}

int run(Context& context, const PredictOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  using Kind = io::NamedPath::Kind;
  check_output_paths(
      comm, {{"--out", o.out, Kind::kFile, o.overwrite}},
      with_config({{"--data", o.data}, {"--model", o.model, Kind::kDirectory}}, params));
  if (dist::is_stdout(o.out)) context.console.results_to_stderr();
  const int threads = comm.agree([&] { return resolve_threads(o.threads); });
  data::LoadOptions load = o.load;
  load.pairs_once = false;  // a prediction per line, a pair's repeats too
  const ModelAndRatings input =
      read_model_and_ratings(comm, o.model, o.data, load, o.cold_start, threads);
  const auto& ratings = input.ratings;
  const eval::RatingSet& set = *input.set;
  std::vector<float> predictions = set.predict(comm, input.loaded.model, threads);
  if (o.clip) {
    const auto [lowest, highest] = training_range(comm, input.loaded, o.model);
    for (auto& p : predictions) p = std::clamp(p, lowest, highest);
  }

  dist::OrderedOutput writer(comm, o.out, o.overwrite);
  writer.append(comm.is_root() ? "user,item,prediction\n" : "");
  std::string text;
  const auto& kept = set.kept();
  for (std::size_t n = 0; n < kept.size(); ++n) {
    const std::size_t k = kept[n];
    fmt::format_to(std::back_inserter(text), "{},{},{}\n", ratings.user_tokens[ratings.users[k]],
                   ratings.item_tokens[ratings.items[k]], predictions[n]);
  }
  writer.append(text);
  writer.commit();
  context.console.out("wrote {} predictions to {} ({} cold{})\n", set.count(),
                      writer.to_stdout() ? "standard output" : o.out, set.cold(),
                      o.cold_start == eval::ColdStart::kDrop ? ", left out" : "");
  return 0;
}

}  // namespace

Command predict_command() {
  return make_command<PredictOptions>(
      "predict", "Predict the rating of every (user, item) pair of a file with a trained model",
      declare, run);
}

}  // namespace dmf::cli
