// dmf split: train / validation / test files in the input's own format.
#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/load_with_progress.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/split.hpp"
#include "dmf/data/split_writer.hpp"
#include "dmf/dist/ordered_output.hpp"
#include "dmf/io/part_files.hpp"

namespace dmf::cli {
namespace {

struct SplitCommandOptions {
  std::string data;
  data::LoadOptions load;
  data::SplitOptions split;
  std::string out_prefix;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, SplitCommandOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The ratings file (or a directory of part files) to split")
      .value_name("FILE")
      .required();
  declare_load_options(params, o.load);
  params.section("Split");
  params.add("test-ratio", &o.split.test_ratio, "Fraction of the ratings held out for testing")
      .value_name("R")
      .at_least(0.0)
      .below(1.0);
  params.add("validation-ratio", &o.split.validation_ratio,
             "Fraction held out for validation (its file is written only when above 0)")
      .value_name("R")
      .at_least(0.0)
      .below(1.0);
  params.add("by", &o.split.method,
             "random: by a hash of (seed, user ID, item ID), the same for any ranks and file "
             "order; user: that fraction of each user's ratings; time: each user's latest ratings");
  params.add("seed", &o.split.seed, "Seed of the split's hashing");
  params.section("Output");
  params.add("out-prefix", &o.out_prefix,
             "Write PREFIX.train, PREFIX.validation and PREFIX.test")
      .value_name("PREFIX")
      .required();
  params.flag("overwrite", &o.overwrite, "Replace output files that exist");
  declare_threads(params, o.threads);
  params.example("dmf split --data ratings.csv --test-ratio 0.1 --validation-ratio 0.1 "
                 "--out-prefix ml",
                 "ml.train, ml.validation and ml.test, 80/10/10 by a hash of the IDs");
  params.example("dmf split --data ratings.dat --by time --test-ratio 0.2 --out-prefix ml",
                 "Each user's latest 20% of ratings as the test set");
}

int run(Context& context, const SplitCommandOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  comm.agree([&] {
    DMF_CHECK(o.split.test_ratio + o.split.validation_ratio < 1.0,
              "--test-ratio {} and --validation-ratio {} leave nothing to train on",
              o.split.test_ratio, o.split.validation_ratio);
    DMF_CHECK(o.load.duplicates != data::DuplicatePolicy::kMean &&
                  o.load.duplicates != data::DuplicatePolicy::kSum,
              "split copies lines as they are, so --duplicates {} cannot apply; use error, first "
              "or last",
              to_string(o.load.duplicates));
    DMF_CHECK(!dist::is_stdout(o.out_prefix),
              "--out-prefix -: split writes two or three files, which standard output cannot "
              "hold apart; give a prefix");
  });
  const std::array<std::string, 3> paths{
      o.out_prefix + ".train",
      o.split.validation_ratio > 0.0 ? o.out_prefix + ".validation" : std::string(),
      o.out_prefix + ".test"};
  // A data set directory splits into data set directories.
  const bool data_set = data::is_data_set_dir(comm, o.data);
  std::vector<io::NamedPath> outputs;
  for (const auto& path : paths) {
    if (!path.empty())
      outputs.push_back({"--out-prefix", path,
                         data_set ? io::NamedPath::Kind::kReplacedDir : io::NamedPath::Kind::kFile,
                         o.overwrite});
  }
  check_output_paths(comm, outputs, with_config({{"--data", o.data}}, params));
  Stopwatch clock;
  data::LoadOptions load = o.load;
  load.threads = comm.agree([&] { return resolve_threads(o.threads); });
  load.keep_lines = true;
  load.keep_time = o.split.method == data::SplitMethod::kTime ||
                   (data_set && data::data_set_has_time(comm, o.data));
  if (load.keep_time && !data_set) {
    comm.agree([&] {
      DMF_CHECK(io::PartFiles::open(o.data, o.load.format).format().has_time,
                "--by time needs a time column in {} (see --columns)", o.data);
    });
  }
  const data::RatingsData ratings = load_with_progress(context, o.data, load);
  const auto decisions = data::assign_subsets(comm, ratings, o.split);
  const auto counts =
      data_set ? data::write_data_set_split(comm, ratings, decisions, o.split, paths, o.overwrite)
               : data::write_split(comm, ratings, load, decisions, o.split, paths, o.overwrite);

  const auto& report = ratings.report;
  const auto& console = context.console;
  console.out("split {} ({} ratings) by {} with seed {} in {:.2f} s:\n", o.data, report.ratings,
              to_string(o.split.method), o.split.seed, clock.seconds());
  static constexpr std::array<std::string_view, 3> kNames{"train", "validation", "test"};
  for (std::size_t s = 0; s < paths.size(); ++s) {
    if (paths[s].empty()) continue;
    console.out("  {:<11} {:>12}  {:6.2f}%  {}\n", kNames.at(s), counts.at(s),
                100.0 * static_cast<double>(counts.at(s)) / static_cast<double>(report.ratings),
                paths[s]);
  }
  if (report.duplicates_merged > 0) {
    console.out("  {} duplicate ratings dropped (--duplicates {})\n", report.duplicates_merged,
                to_string(o.load.duplicates));
  }
  if (report.bad_lines > 0) console.out("  {} bad lines skipped\n", report.bad_lines);
  return 0;
}

}  // namespace

Command split_command() {
  return make_command<SplitCommandOptions>(
      "split", "Split a ratings file into train, validation and test files in its own format",
      declare, run);
}

}  // namespace dmf::cli
