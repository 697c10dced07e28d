// dmf convert: a ratings file as a data set directory (data/dataset_dir.hpp),
// which every command then loads without parsing or sorting.
#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/load_with_progress.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/io/part_files.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::cli {
namespace {

struct ConvertOptions {
  std::string data;
  data::LoadOptions load;
  std::string out;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, ConvertOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The ratings file to convert").value_name("FILE").required();
  declare_load_options(params, o.load);
  params.section("Output");
  params
      .add("out", &o.out,
           "Write the data set directory DIR: IDs, the ratings as .npy arrays in canonical "
           "order, a manifest with checksums")
      .value_name("DIR")
      .required();
  params.flag("overwrite", &o.overwrite,
              "Replace DIR when it is a dmf directory (atomically); anything else is refused");
  declare_threads(params, o.threads);
  params.example("dmf convert --data ratings.csv --out ratings.dmf",
                 "Then --data ratings.dmf loads it without parsing, in every command");
  params.example("dmf convert --data ratings.dat --duplicates mean --out ml.dmf",
                 "Pairs rated more than once are merged now, once for every later run");
}

/// What the data set was made from, for its manifest.
nlohmann::json source_json(const ConvertOptions& o, const data::LoadReport& report) {
  nlohmann::json source = {{"path", o.data},
                           {"format", to_string(report.format.kind)},
                           {"bytes", report.file_bytes},
                           {"has_header", report.format.has_header},
                           {"duplicates", to_string(o.load.duplicates)},
                           {"duplicates_merged", report.duplicates_merged},
                           {"bad_lines_skipped", report.bad_lines}};
  if (o.load.rating_range) {
    source["rating_range"] = {o.load.rating_range->min, o.load.rating_range->max};
  }
  return source;
}

int run(Context& context, const ConvertOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  check_output_paths(comm, {{"--out", o.out, io::NamedPath::Kind::kReplacedDir, o.overwrite}},
                     with_config({{"--data", o.data}}, params));
  model::check_model_dir_writable(comm, o.out, o.overwrite);
  if (data::is_data_set_dir(comm, o.data)) {
    throw Error(
        fmt::format("{} is a data set directory already; convert reads ratings text", o.data),
        /*collective=*/true);
  }
  Stopwatch clock;
  data::LoadOptions load = o.load;
  load.threads = comm.agree([&] { return resolve_threads(o.threads); });
  // Times are kept whenever the source has them: --by time splits need them.
  load.keep_time =
      comm.agree([&] { return io::PartFiles::open(o.data, o.load.format).format().has_time; });
  const data::RatingsData ratings = load_with_progress(context, o.data, load);
  const double load_seconds = clock.seconds();
  clock.restart();
  const auto manifest =
      data::write_data_set(comm, o.out, ratings, source_json(o, ratings.report), o.overwrite);
  const auto& report = ratings.report;
  context.console.out(
      "converted {} ({} ratings, {} users, {} items{}) to {} in {:.2f} s (read {:.2f} s, write "
      "{:.2f} s)\n",
      o.data, report.ratings, ratings.users.total_rows(), ratings.items.total_rows(),
      load.keep_time ? ", with times" : "", o.out, load_seconds + clock.seconds(), load_seconds,
      clock.seconds());
  if (report.duplicates_merged > 0) {
    context.console.out("  {} duplicate ratings merged (--duplicates {})\n",
                        report.duplicates_merged, to_string(o.load.duplicates));
  }
  if (report.bad_lines > 0) context.console.out("  {} bad lines skipped\n", report.bad_lines);
  context.console.out("  fingerprint {}\n", manifest["fingerprint"].get<std::string>());
  return 0;
}

}  // namespace

Command convert_command() {
  return make_command<ConvertOptions>(
      "convert", "Convert a ratings file into a data set directory that loads without parsing",
      declare, run);
}

}  // namespace dmf::cli
