// dmf plot: the learning curves of `dmf train --metrics-out` files as one SVG
// (loss, train and validation RMSE against epoch and against time, runs
// overlaid). Rank 0 does the work; under mpirun the other ranks wait.
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "dmf/cli/commands_list.hpp"
#include "dmf/core/error.hpp"
#include "dmf/dist/ordered_file_writer.hpp"
#include "dmf/plot/learning_curves.hpp"

namespace dmf::cli {
namespace {

/// A list option: one or more names, written `--metrics a b` on the command
/// line, or `a,b` (also in a config file and the configuration echo).
struct NameList {
  std::vector<std::string> names;
};

void parse_value(std::string_view text, NameList& out) {
  out.names.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view name = text.substr(start, comma - start);
    if (name.empty()) fail("empty name in the list '{}'", text);
    out.names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

std::string format_value(const NameList& list) {
  return fmt::format("{}", fmt::join(list.names, ","));
}

struct PlotOptions {
  NameList metrics;
  NameList labels;
  std::string out;
  bool overwrite = false;
};

void declare(ParamSet& params, PlotOptions& o) {
  params.section("Input");
  params
      .add("metrics", &o.metrics,
           "One or more JSON-lines files written by dmf train --metrics-out (separated by blanks "
           "or commas)")
      .value_name("FILE...")
      .required();
  params
      .add("labels", &o.labels,
           "The legend's name of each --metrics file, in order (default: the file names)")
      .value_name("NAME...");
  params.section("Output");
  params.add("out", &o.out, "The SVG file to write; - writes it to stdout")
      .value_name("FILE")
      .required();
  params.flag("overwrite", &o.overwrite, "Replace --out if it exists");
  params.example("dmf plot --metrics als.jsonl gd.jsonl --out curves.svg",
                 "Two runs' learning curves overlaid in one chart");
  params.example("dmf plot --metrics run.jsonl --labels adam --out -",
                 "One run, named adam in the legend, the SVG on stdout");
}

/// `args` with the blank-separated values of the list options joined by
/// commas: `--metrics a b --out x` becomes `--metrics a,b --out x`.
std::vector<std::string> join_list_values(std::span<const std::string> args) {
  static const std::set<std::string, std::less<>> kListOptions{"--metrics", "--labels"};
  std::vector<std::string> joined;
  for (std::size_t i = 0; i < args.size(); ++i) {
    joined.push_back(args[i]);
    if (!kListOptions.contains(args[i])) continue;
    std::string value;
    while (i + 1 < args.size() && !args[i + 1].starts_with('-')) {
      value += (value.empty() ? "" : ",") + args[++i];
    }
    if (!value.empty()) joined.push_back(std::move(value));
  }
  return joined;
}

/// The legend's names: the given labels, else each file's name without its
/// extension, or the paths as given when two files share a name.
std::vector<std::string> run_labels(const PlotOptions& o) {
  const auto& files = o.metrics.names;
  if (!o.labels.names.empty()) {
    DMF_CHECK(o.labels.names.size() == files.size(),
              "--labels names {} runs but --metrics gives {} files", o.labels.names.size(),
              files.size());
    return o.labels.names;
  }
  std::vector<std::string> labels;
  labels.reserve(files.size());
  for (const auto& file : files) labels.push_back(std::filesystem::path(file).stem().string());
  if (std::set<std::string>(labels.begin(), labels.end()).size() < labels.size()) return files;
  return labels;
}

std::string learning_curves_svg(const PlotOptions& o) {
  const auto labels = run_labels(o);
  std::vector<plot::Curve> curves;
  for (std::size_t f = 0; f < o.metrics.names.size(); ++f) {
    for (auto& curve : plot::read_metrics_file(o.metrics.names[f], labels[f])) {
      curves.push_back(std::move(curve));
    }
  }
  return plot::render_svg(plot::learning_curves_chart(curves));
}

int run(Context& context, const PlotOptions& o, const ParamSet& /*params*/) {
  const auto& comm = context.comm;
  const std::string svg =
      comm.agree([&] { return comm.is_root() ? learning_curves_svg(o) : std::string(); });
  if (o.out == "-") {
    context.console.out("{}", svg);
    return 0;
  }
  dist::OrderedFileWriter writer(comm, o.out, o.overwrite);
  writer.append(svg);  // rank 0's part; the others' are empty
  writer.commit();
  context.console.out("wrote the learning curves of {} to {}\n", fmt::join(o.metrics.names, ", "),
                      o.out);
  return 0;
}

}  // namespace

Command plot_command() {
  Command command = make_command<PlotOptions>(
      "plot", "Draw the learning curves of dmf train --metrics-out files as an SVG chart", declare,
      run);
  command.main = [main = command.main](Context& context, std::span<const std::string> args) {
    const auto joined = join_list_values(args);
    return main(context, joined);
  };
  return command;
}

}  // namespace dmf::cli
