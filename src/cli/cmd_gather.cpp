// dmf gather: the results of many training runs (the tasks of a
// hyper-parameter sweep, jobs/slurm/sweep.sbatch) in one table, from the
// manifests of the model directories under a directory.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/ini.hpp"
#include "dmf/cli/metric_text.hpp"
#include "dmf/core/error.hpp"

namespace dmf::cli {
namespace {

namespace fs = std::filesystem;

enum class SortKey { kValidation, kTrain, kTest, kName };

std::span<const EnumName<SortKey>> enum_names(SortKey /*tag*/) {
  static constexpr std::array<EnumName<SortKey>, 4> kNames{{
      {SortKey::kValidation, "validation"},
      {SortKey::kTrain, "train"},
      {SortKey::kTest, "test"},
      {SortKey::kName, "name"},
  }};
  return kNames;
}

struct GatherOptions {
  std::string runs;
  SortKey sort = SortKey::kValidation;
  bool json = false;
};

void declare(ParamSet& params, GatherOptions& o) {
  params.section("Input");
  params
      .add("runs", &o.runs,
           "Directory searched (recursively) for model directories; checkpoints and hidden "
           "directories (models still being written) are skipped")
      .value_name("DIR")
      .required();
  params.section("Output");
  params.add("sort", &o.sort, "Order of the rows, best first (runs without the figure last)");
  params.flag("json", &o.json, "Print one JSON array instead of a table");
  params.example("dmf gather --runs sweep",
                 "The runs under sweep/, best validation RMSE first");
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
    row.manifest = std::move(manifest);
    rows.push_back(std::move(row));
  }
  DMF_CHECK(!ec, "cannot read {}: {}", root, ec.message());
  return rows;
}

void sort_rows(std::vector<Row>& rows, SortKey key) {
  const auto value = [key](const Row& r) {
    switch (key) {
      case SortKey::kTrain:
        return r.train.value;
      case SortKey::kTest:
        return r.test.value;
      default:
        return r.validation.value;
    }
  };
  std::ranges::stable_sort(rows, [&](const Row& a, const Row& b) {
    if (key == SortKey::kName) return a.run < b.run;
    const auto x = value(a);
    const auto y = value(b);
    if (x.has_value() != y.has_value()) return x.has_value();
    return x.has_value() && *x != *y ? *x < *y : a.run < b.run;
  });
}

/// "-": the run had no such set; "n/a": the set had no ratings.
std::string cell(const Figure& f) { return f.measured ? metric_text(f.value) : "-"; }

int run(Context& context, const GatherOptions& o, const ParamSet& /*params*/) {
  std::vector<Row> rows = context.comm.agree([&] { return find_runs(o.runs); });
  sort_rows(rows, o.sort);
  const auto& out = context.console;
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : rows) {
      all.push_back({{"run", r.run},
                     {"solver", r.manifest.value("solver", "")},
                     {"k", r.manifest.value("k", 0)},
                     {"lambda", r.lambda},
                     {"epochs", r.manifest.value("epochs", 0)},
                     {"train_rmse", metric_json(r.train.value)},
                     {"validation_rmse", metric_json(r.validation.value)},
                     {"test_rmse", metric_json(r.test.value)}});
    }
    out.out("{}\n", all.dump());
    return 0;
  }
  std::size_t width = 3;
  for (const auto& r : rows) width = std::max(width, r.run.size());
  out.out("{:<{}}  {:<6}  {:>4}  {:>8}  {:>6}  {:>10}  {:>15}  {:>9}\n", "run", width, "solver",
          "k", "lambda", "epochs", "train RMSE", "validation RMSE", "test RMSE");
  for (const auto& r : rows) {
    out.out("{:<{}}  {:<6}  {:>4}  {:>8}  {:>6}  {:>10}  {:>15}  {:>9}\n", r.run, width,
            r.manifest.value("solver", "?"), r.manifest.value("k", 0), r.lambda,
            r.manifest.value("epochs", 0), cell(r.train), cell(r.validation), cell(r.test));
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
