// dmf eval: how well a trained model predicts a ratings file (RMSE, MAE) and
// how well it ranks each user's held-out items (precision@k, NDCG, AUC...,
// README "Commands: eval").
#include <algorithm>

#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/metric_text.hpp"
#include "dmf/cli/model_input.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/eval/popularity.hpp"
#include "dmf/eval/ranking_eval.hpp"

namespace dmf::cli {
namespace {

struct EvalOptions {
  std::string model;
  eval::Baseline baseline = eval::Baseline::kNone;
  std::string train;  // what --baseline popularity counts
  std::string data;
  std::string exclude_rated;
  data::LoadOptions load;
  std::string metrics = "rmse,mae";
  int k = 10;
  std::optional<double> relevant_threshold;
  eval::ColdStart cold_start = eval::ColdStart::kMean;
  bool json = false;
  int threads = 0;
};

void declare(ParamSet& params, EvalOptions& o) {
  params.section("Input");
  params.add("model", &o.model, "The model directory (dmf train --out), unless --baseline")
      .value_name("DIR");
  params.add("baseline", &o.baseline,
             "Rank by a baseline instead of a model: popularity ranks every user's items by "
             "their users in --train, most first (ranking metrics only)");
  params.add("train", &o.train, "--baseline popularity: the training ratings it counts")
      .value_name("FILE");
  params.add("data", &o.data, "The ratings to measure the model on").value_name("FILE").required();
  params
      .add("exclude-rated", &o.exclude_rated,
           "Ranking metrics: leave the items a user rated in this ratings file (e.g. the "
           "training data; read with the format options below) out of the user's ranking")
      .value_name("FILE");
  declare_load_options(params, o.load);
  params.section("Evaluation");
  params
      .add("metrics", &o.metrics,
           "Comma-separated metrics, printed in this order: " + eval::accepted_metrics() +
               " (a metric's @k may be written, e.g. ndcg@20, else it is --k; formulas in the "
               "README)")
      .value_name("LIST");
  params.add("k", &o.k, "The cut-off of a top-k metric written without @k")
      .value_name("K")
      .at_least(1);
  params
      .add("relevant-threshold", &o.relevant_threshold,
           "Ranking metrics: a test rating is relevant when it is at least R (default: every "
           "test rating is relevant)")
      .value_name("R");
  declare_cold_start(params, o.cold_start);
  params.flag("json", &o.json, "Print one JSON object instead of text");
  declare_threads(params, o.threads);
  params.example("dmf eval --model model --data ml.test",
                 "RMSE and MAE of the model on the test ratings");
  params.example(
      "mpirun -n 4 dmf eval --model model --data ml.test --exclude-rated ml.train "
      "--metrics precision,recall,ndcg,auc --k 10 --relevant-threshold 4",
      "Ranking metrics at 10 of the test ratings of 4 and above, training items left "
      "out, on 4 ranks");
}

/// The ranking metrics' figures and what was left out of them.
struct RankingResult {
  eval::RankingFigures figures;
  std::uint64_t cold = 0;   // test pairs of a user or item the model has not seen
  std::uint64_t rated = 0;  // test pairs among the user's --exclude-rated items
};

RankingResult rank(const dist::Comm& comm, const EvalOptions& o, const ModelAndRatings& input,
                   std::span<const eval::MetricSpec> metrics, int threads) {
  const model::LoadedModel& loaded = input.loaded;
  RankingResult result;
  const eval::OwnedUserItems test =
      eval::group_by_owned_user(comm, loaded.users, loaded.items, input.ratings);
  result.cold = test.cold;
  eval::OwnedUserItems excluded;
  if (!o.exclude_rated.empty()) {
    data::LoadOptions load = o.load;
    load.threads = threads;
    load.pairs_once = false;  // a pair rated twice is excluded all the same
    excluded = eval::group_by_owned_user(comm, loaded.users, loaded.items,
                                         data::read_ratings_here(comm, o.exclude_rated, load));
  }
  std::uint64_t rated_here = 0;
  const std::vector<eval::RankingQuery> queries =
      eval::ranking_queries(test.of_user, excluded.of_user, o.relevant_threshold, &rated_here);
  result.rated = comm.allreduce(rated_here, dist::Op::kSum);
  result.figures = eval::ranking_figures(comm, loaded.model, queries, metrics, threads);
  return result;
}

std::string ranking_text(const EvalOptions& o, std::span<const eval::MetricSpec> metrics,
                         const RankingResult& r) {
  std::string text;
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    text += fmt::format("{} {}  ", metrics[m].name(), metric_text(r.figures.values[m]));
  }
  text += fmt::format("({} users ranked over {} items, {} without a relevant test item skipped",
                      r.figures.users_ranked, r.figures.items, r.figures.users_skipped);
  if (r.cold > 0) text += fmt::format("; {} cold test pairs left out", r.cold);
  if (!o.exclude_rated.empty()) {
    text += fmt::format("; {} test pairs rated in {} left out", r.rated, o.exclude_rated);
  }
  return text + ")";
}

int run(Context& context, const EvalOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  const auto metrics = comm.agree([&] { return eval::parse_metrics(o.metrics, o.k); });
  std::vector<eval::MetricSpec> ranking;
  std::ranges::copy_if(metrics, std::back_inserter(ranking),
                       [](const eval::MetricSpec& m) { return eval::is_ranking(m.kind); });
  const bool rating = ranking.size() < metrics.size();  // rmse or mae asked for
  comm.agree([&] {
    for (const auto& [given, name] :
         {std::pair{!o.exclude_rated.empty(), "--exclude-rated"},
          std::pair{o.relevant_threshold.has_value(), "--relevant-threshold"}}) {
      DMF_CHECK(!given || !ranking.empty(),
                "{} applies to the ranking metrics ({}), and --metrics '{}' names none", name,
                eval::accepted_metrics(), o.metrics);
    }
  });
  const bool baseline = o.baseline != eval::Baseline::kNone;
  comm.agree([&] {
    DMF_CHECK(baseline == o.model.empty(), "give --model DIR or --baseline popularity, {}",
              baseline ? "not both" : "one of them");
    DMF_CHECK(baseline == !o.train.empty(), "--baseline popularity and --train FILE go together");
    DMF_CHECK(!baseline || !rating, "--baseline popularity ranks items; rmse and mae need --model");
    DMF_CHECK(!baseline || !params.given("cold-start"),
              "--cold-start applies to rmse and mae; --baseline popularity leaves out the test "
              "pairs it cannot rank and counts them");
  });
  const int threads = comm.agree([&] { return resolve_threads(o.threads); });
  ModelAndRatings input;
  if (baseline) {
    data::LoadOptions load = o.load;
    load.threads = threads;
    input.loaded = eval::popularity_model(comm, data::load_ratings(comm, o.train, load));
    input.ratings = data::read_ratings_here(comm, o.data, load);
  } else {
    input = read_model_and_ratings(comm, o.model, o.data, o.load, o.cold_start, threads);
  }
  const std::string source = baseline ? fmt::format("popularity in {}", o.train) : o.model;
  eval::SetScore score;
  if (rating) {
    score = input.set->score(comm, input.loaded.model, threads);
    // Nothing scored (every line skipped, or every rating cold and left out):
    // RMSE and MAE are undefined, not 0.
    if (score.count == 0) {
      context.console.warn("{} has no ratings to score; RMSE and MAE are n/a", o.data);
    }
  }
  RankingResult ranked;
  if (!ranking.empty()) {
    ranked = rank(comm, o, input, ranking, threads);
    if (ranked.figures.users_ranked == 0) {
      context.console.warn(
          "{} has no relevant test item of a user and item the model knows; "
          "the ranking metrics are n/a",
          o.data);
    }
  }
  auto value_of = [&](const eval::MetricSpec& m) -> std::optional<double> {
    if (m.kind == eval::MetricKind::kRmse) return score.rmse;
    if (m.kind == eval::MetricKind::kMae) return score.mae;
    const auto at = std::ranges::find(ranking, m) - ranking.begin();
    return ranked.figures.values[static_cast<std::size_t>(at)];
  };
  if (o.json) {
    nlohmann::json out;
    for (const auto& m : metrics) out[m.name()] = metric_json(value_of(m));
    if (rating) {
      out["count"] = score.count;
      out["cold"] = score.cold;
      out["cold_start"] = to_string(o.cold_start);
    }
    if (!ranking.empty()) {
      out["users_ranked"] = ranked.figures.users_ranked;
      out["users_skipped"] = ranked.figures.users_skipped;
      out["items"] = ranked.figures.items;
      out["cold_pairs_left_out"] = ranked.cold;
      out["rated_pairs_left_out"] = ranked.rated;
      out["relevant_threshold"] = metric_json(o.relevant_threshold);
    }
    if (baseline) {
      out["baseline"] = "popularity";
      out["train"] = o.train;
    } else {
      out["model"] = o.model;
    }
    out["data"] = o.data;
    context.console.out("{}\n", out.dump());
    return 0;
  }
  if (rating) {
    const std::string cold =
        score.cold == 0 ? "0 cold"
        : o.cold_start == eval::ColdStart::kDrop
            ? fmt::format("{} cold left out", score.cold)
            : fmt::format("{} cold, predicted from the mean and known biases", score.cold);
    std::string figures;
    for (const auto& m : metrics) {
      if (eval::is_ranking(m.kind)) continue;
      figures += fmt::format("{} {}  ", m.kind == eval::MetricKind::kRmse ? "RMSE" : "MAE",
                             metric_text(value_of(m)));
    }
    context.console.out("{} on {}: {}({} ratings, {})\n", o.model, o.data, figures, score.count,
                        cold);
  }
  if (!ranking.empty()) {
    context.console.out("{} on {}: {}\n", source, o.data, ranking_text(o, ranking, ranked));
  }
  return 0;
}

}  // namespace

Command eval_command() {
  return make_command<EvalOptions>(
      "eval",
      "Measure a trained model on a ratings file: RMSE and MAE, and ranking metrics "
      "(precision@k, recall@k, NDCG, AUC, ...)",
      declare, run);
}

}  // namespace dmf::cli
