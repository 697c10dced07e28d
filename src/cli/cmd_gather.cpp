// dmf gather: the results of many training runs (the tasks of a
// hyper-parameter sweep, jobs/slurm/sweep.sbatch) in one table, from the
// manifests of the model directories under a directory.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/ini.hpp"
#include "dmf/cli/metric_text.hpp"
#include "dmf/core/error.hpp"
#include "dmf/eval/ranking_metrics.hpp"

namespace dmf::cli {
namespace {

namespace fs = std::filesystem;

struct GatherOptions {
  std::string runs;
  std::string sort = "validation";
  bool json = false;
};

/// A ranking metric written without @k in --sort (ndcg) is taken at 10, as
/// by dmf train --validation-metric.
constexpr int kDefaultCutOff = 10;

void declare(ParamSet& params, GatherOptions& o) {
  params.section("Input");
  params
      .add("runs", &o.runs,
           "Directory searched (recursively) for model directories; checkpoints and hidden "
           "directories (models still being written) are skipped")
      .value_name("DIR")
      .required();
  params.section("Output");
  params
      .add("sort", &o.sort,
           "Order of the rows, best first (runs without the figure last): validation (the "
           "validation metric the runs watched, --validation-metric, RMSE by default), train "
           "(RMSE), test (RMSE), name, or a validation metric by name (" +
               eval::accepted_metrics(/*per_user_only=*/true) +
               "; higher first for a ranking metric)")
      .value_name("KEY");
  params.flag("json", &o.json, "Print one JSON array instead of a table");
  params.example("dmf gather --runs sweep",
                 "The runs under sweep/, best validation RMSE (or the metric they watched) first");
  params.example("dmf gather --runs sweep --sort name --json",
                 "The same as one JSON array, by directory name");
}

/// One figure of a run: absent when the run had no such set, undefined
/// ("n/a") when the set had no ratings.
struct Figure {
  std::optional<double> value;
  bool measured = false;  // the run had the set
};

/// One run's row.
struct Row {
  std::string run;  // its directory, relative to --runs
  nlohmann::json manifest;
  std::string lambda;  // --lambda as the run's effective configuration has it
  Figure train, validation, test;
  /// The validation metric the run watched (--validation-metric): "rmse"
  /// for runs written before there was a choice; "" without a validation set.
  std::string watched;
  /// Its value when it is a ranking metric, by name ("ndcg@10").
  std::map<std::string, Figure, std::less<>> ranking;
};

/// The value of option `name` in the effective configuration that dmf train
/// writes into its manifest as "config" (INI text), or "".
std::string config_value(const nlohmann::json& manifest, std::string_view name,
                         const std::string& path) {
  for (const auto& entry : parse_ini(manifest.value("config", std::string()), path + " config")) {
    if (entry.key == name) return entry.value;
  }
  return {};
}

/// The number at `pointer` in a manifest's metrics. An RMSE without its set
/// is absent; of a set of no ratings it is null (a NaN too), and 0 in
/// manifests written before that, which must not rank first.
Figure figure(const nlohmann::json& metrics, const char* pointer) {
  const nlohmann::json::json_pointer at(pointer);
  if (!metrics.contains(at)) return {};
  const nlohmann::json::json_pointer set = at.parent_pointer();
  const bool empty = !set.empty() && metrics.contains(set) && metrics.at(set).is_object() &&
                     metrics.at(set).value("count", 1) == 0;
  if (empty || !metrics.at(at).is_number()) return {std::nullopt, true};
  return {metrics.at(at).get<double>(), true};
}

/// Every model directory under `root` (checkpoints, whose manifest has
/// "checkpoint", are not results).
std::vector<Row> find_runs(const std::string& root) {
  std::error_code ec;
  DMF_CHECK(fs::is_directory(root, ec), "--runs {}: not a directory", root);
  std::vector<Row> rows;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) continue;
    // Hidden directories hold a model being written, or one being replaced.
    if (it->path().filename().string().starts_with('.')) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() != "manifest.json") continue;
    const std::string path = it->path().string();
    std::ifstream in(it->path());
    nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    DMF_CHECK(manifest.is_object(), "{} is not valid JSON", path);
    if (manifest.contains("checkpoint")) continue;
    Row row;
    row.run = fs::relative(it->path().parent_path(), root).string();
    row.lambda = config_value(manifest, "lambda", path);
    const nlohmann::json metrics = manifest.value("metrics", nlohmann::json::object());
    row.train = figure(metrics, "/train_rmse");
    row.validation = figure(metrics, "/validation/rmse");
    row.test = figure(metrics, "/test/rmse");
    if (const auto validation = metrics.find("validation");
        validation != metrics.end() && validation->is_object()) {
      row.watched = validation->value("metric", std::string("rmse"));
      if (validation->contains(row.watched) && row.watched != "rmse" && row.watched != "mae") {
        row.ranking[row.watched] = figure(metrics, ("/validation/" + row.watched).c_str());
      }
    }
    row.manifest = std::move(manifest);
    rows.push_back(std::move(row));
  }
  DMF_CHECK(!ec, "cannot read {}: {}", root, ec.message());
  return rows;
}

/// What --sort orders the rows by: a figure of each (absent: last), the
/// better first; or the name.
struct SortOrder {
  bool by_name = false;
  std::string figure;         // "train", "test", or a validation metric's name
  bool higher_first = false;  // a ranking metric
};

/// The validation metrics the runs watched, by name.
std::set<std::string> watched_metrics(const std::vector<Row>& rows) {
  std::set<std::string> watched;
  for (const Row& r : rows) {
    if (!r.watched.empty()) watched.insert(r.watched);
  }
  return watched;
}

/// The validation metric that --sort validation means: the one every run
/// with a validation set watched; RMSE when none has one, or when they
/// watched different ones (which run() warns about).
std::string watched_by_all(const std::vector<Row>& rows) {
  const std::set<std::string> watched = watched_metrics(rows);
  return watched.size() == 1 ? *watched.begin() : "rmse";
}

/// --sort's key, checked; `validation` is resolved against the runs.
SortOrder sort_order(const std::string& key, const std::vector<Row>& rows) {
  if (key == "name") return {true, "", false};
  if (key == "train" || key == "test") return {false, key, false};
  const std::string metric = key == "validation" ? watched_by_all(rows) : key;
  eval::MetricSpec spec;
  try {
    spec = eval::parse_per_user_metric(metric, kDefaultCutOff, "--sort");
  } catch (const Error&) {
    fail("--sort: '{}' is none of validation, train, test, name or a validation metric ({})", key,
         eval::accepted_metrics(/*per_user_only=*/true));
  }
  return {false, spec.name(), eval::higher_is_better(spec.kind)};
}

/// The row's figure of `name`: train or test RMSE, or a validation metric.
std::optional<double> figure_of(const Row& r, const std::string& name) {
  if (name == "train") return r.train.value;
  if (name == "test") return r.test.value;
  if (name == "rmse") return r.validation.value;
  if (name == "mae")
    return figure(r.manifest.value("metrics", nlohmann::json::object()), "/validation/mae").value;
  const auto it = r.ranking.find(name);
  return it == r.ranking.end() ? std::nullopt : it->second.value;
}

void sort_rows(std::vector<Row>& rows, const SortOrder& order) {
  std::ranges::stable_sort(rows, [&](const Row& a, const Row& b) {
    if (order.by_name) return a.run < b.run;
    const auto x = figure_of(a, order.figure);
    const auto y = figure_of(b, order.figure);
    if (x.has_value() != y.has_value()) return x.has_value();
    if (!x.has_value() || *x == *y) return a.run < b.run;
    return order.higher_first ? *x > *y : *x < *y;
  });
}

/// The ranking metrics any run watched, by name: a column each.
std::vector<std::string> ranking_columns(const std::vector<Row>& rows) {
  std::set<std::string> names;
  for (const Row& r : rows) {
    for (const auto& [name, value] : r.ranking) names.insert(name);
  }
  return {names.begin(), names.end()};
}

/// "-": the run had no such set; "n/a": the set had no ratings.
std::string cell(const Figure& f) { return f.measured ? metric_text(f.value) : "-"; }

/// The row's figure of a ranking metric column ("-" when it did not watch it).
Figure ranking_figure(const Row& r, const std::string& name) {
  const auto it = r.ranking.find(name);
  return it == r.ranking.end() ? Figure{} : it->second;
}

int run(Context& context, const GatherOptions& o, const ParamSet& /*params*/) {
  std::vector<Row> rows = context.comm.agree([&] {
    if (o.sort != "validation") static_cast<void>(sort_order(o.sort, {}));  // the name, first
    return find_runs(o.runs);
  });
  sort_rows(rows, context.comm.agree([&] { return sort_order(o.sort, rows); }));
  if (const auto watched = watched_metrics(rows); o.sort == "validation" && watched.size() > 1) {
    context.console.warn(
        "the runs watched different validation metrics ({}): sorted by validation RMSE; --sort "
        "METRIC sorts by another",
        fmt::join(watched, ", "));
  }
  const std::vector<std::string> ranking = ranking_columns(rows);
  const auto& out = context.console;
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json row{{"run", r.run},
                         {"solver", r.manifest.value("solver", "")},
                         {"k", r.manifest.value("k", 0)},
                         {"lambda", r.lambda},
                         {"epochs", r.manifest.value("epochs", 0)},
                         {"train_rmse", metric_json(r.train.value)},
                         {"validation_rmse", metric_json(r.validation.value)},
                         {"test_rmse", metric_json(r.test.value)}};
      for (const auto& name : ranking) {
        row["validation_" + name] = metric_json(ranking_figure(r, name).value);
      }
      all.push_back(std::move(row));
    }
    out.out("{}\n", all.dump());
    return 0;
  }
  std::size_t width = 3;
  for (const auto& r : rows) width = std::max(width, r.run.size());
  // A column per ranking metric the runs watched, after validation RMSE.
  const auto ranking_cells = [&](const auto& text_of) {
    std::string cells;
    for (const auto& name : ranking) {
      cells +=
          fmt::format("  {:>{}}", text_of(name), std::string("validation ").size() + name.size());
    }
    return cells;
  };
  out.out("{:<{}}  {:<6}  {:>4}  {:>8}  {:>6}  {:>10}  {:>15}{}  {:>9}\n", "run", width, "solver",
          "k", "lambda", "epochs", "train RMSE", "validation RMSE",
          ranking_cells([](const std::string& name) { return "validation " + name; }), "test RMSE");
  for (const auto& r : rows) {
    out.out("{:<{}}  {:<6}  {:>4}  {:>8}  {:>6}  {:>10}  {:>15}{}  {:>9}\n", r.run, width,
            r.manifest.value("solver", "?"), r.manifest.value("k", 0), r.lambda,
            r.manifest.value("epochs", 0), cell(r.train), cell(r.validation),
            ranking_cells([&](const std::string& name) { return cell(ranking_figure(r, name)); }),
            cell(r.test));
  }
  out.log("{} runs under {}\n", rows.size(), o.runs);
  return 0;
}

}  // namespace

Command gather_command() {
  return make_command<GatherOptions>(
      "gather", "Tabulate the results of the training runs (model directories) under a directory",
      declare, run);
}

}  // namespace dmf::cli
