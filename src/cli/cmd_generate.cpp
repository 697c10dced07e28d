// dmf generate: a synthetic data set from a known low-rank model.
#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/data/generator.hpp"
#include "dmf/dist/ordered_output.hpp"

namespace dmf::cli {
namespace {

struct GenerateOptions {
  data::GeneratorOptions model;
  std::string out;
  io::FormatKind format = io::FormatKind::kAuto;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, GenerateOptions& o) {
  params.section("Data set");
  params.add("users", &o.model.users, "Number of users (IDs 1..U)").at_least(1);
  params.add("items", &o.model.items, "Number of items (IDs 1..I)").at_least(1);
  params
      .add("ratings", &o.model.ratings,
           "Number of ratings, exactly; every user has at least one and no pair repeats")
      .at_least(1);
  params
      .add("skew", &o.model.skew,
           "Power-law exponent of user activity and item popularity (0 = uniform)")
      .at_least(0.0);
  params.add("seed", &o.model.seed, "Seed: the same seed gives the same bytes on any ranks");
  params.section("Model");
  params.add("true-rank", &o.model.true_rank, "Rank K of the hidden factor model")
      .at_least(1)
      .at_most(1000);
  params.add("noise", &o.model.noise, "Standard deviation of the Gaussian noise on each rating")
      .at_least(0.0);
  params
      .add("scale", &o.model.scale,
           "Ratings are rounded to the grid MIN, MIN+STEP, ..., MAX and clipped to it; STEP 0 keeps "
           "them continuous")
      .value_name("MIN:MAX:STEP");
  params.section("Output");
  params.add("out", &o.out, "The file to write; - for standard output")
      .value_name("FILE")
      .required();
  params.add("format", &o.format,
             "Output format; auto picks it from the extension (.csv, .tsv, .dat, .mtx, u.data), "
             "else csv");
  params.flag("overwrite", &o.overwrite, "Replace --out if it exists");
  declare_threads(params, o.threads);
  params.example("dmf generate --out ratings.csv",
                 "A MovieLens-1M-shaped data set (6040 users, 3706 items, 1000209 ratings)");
  params.example("dmf generate --users 1000 --items 500 --ratings 20000 --true-rank 5 --out "
                 "small.csv",
                 "A small one from a rank-5 model");
}

int run(Context& context, const GenerateOptions& o, const ParamSet& params) {
  check_output_paths(context.comm, {{"--out", o.out, io::NamedPath::Kind::kFile, o.overwrite}},
                     with_config({}, params));
  if (dist::is_stdout(o.out)) context.console.results_to_stderr();
  data::GenerateOutput output;
  output.path = o.out;
  output.format = o.format;
  output.overwrite = o.overwrite;
  output.threads = context.comm.agree([&] { return resolve_threads(o.threads); });
  context.console.log(
      "generating {} ratings of {} users on {} items on {} rank(s) x {} thread(s)\n",
      o.model.ratings, o.model.users, o.model.items, context.comm.size(), output.threads);
  const auto report = data::generate_ratings(context.comm, o.model, output);
  const double megabytes = static_cast<double>(report.bytes) / 1e6;
  context.console.out(
      "generated {} ratings of {} users on {} items into {} ({}, {} bytes = {:.1f} MB) in {:.2f} s "
      "({:.0f} MB/s, {:.1f} M ratings/s) on {} rank(s); hidden model: rank {}, noise sd {}, "
      "scale {}, skew {}, seed {}\n",
      report.ratings, o.model.users, o.model.items,
      dist::is_stdout(o.out) ? "standard output" : o.out, to_string(report.format), report.bytes,
      megabytes, report.seconds, megabytes / report.seconds,
      static_cast<double>(report.ratings) / 1e6 / report.seconds, context.comm.size(),
      o.model.true_rank, o.model.noise, format_value(o.model.scale), o.model.skew, o.model.seed);
  return 0;
}

}  // namespace

Command generate_command() {
  return make_command<GenerateOptions>(
      "generate",
      "Write synthetic ratings from a known low-rank model plus noise (MovieLens-shaped by "
      "default)",
      declare, run);
}

}  // namespace dmf::cli
