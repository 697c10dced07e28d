// dmf generate: a synthetic data set from a known low-rank model, of
// explicit ratings or of implicit feedback (play counts).
#include <optional>

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
  // Resolved into model.skew and model.popularity_exponent by the feedback
  // kind's defaults (data::default_exponents) when not given.
  std::optional<double> skew;
  std::optional<double> popularity_exponent;
  std::string out;
  io::FormatKind format = io::FormatKind::kAuto;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, GenerateOptions& o) {
  params.section("Data set");
  params.add("feedback", &o.model.feedback,
             "explicit: ratings on --scale; implicit: play counts (whole numbers from 1) of "
             "items drawn by popularity and a hidden taste mixture of rank --true-rank");
  params.add("users", &o.model.users, "Number of users (IDs 1..U)").at_least(1);
  params.add("items", &o.model.items, "Number of items (IDs 1..I)").at_least(1);
  params
      .add("ratings", &o.model.ratings,
           "Number of ratings (implicit: user-item pairs), exactly; every user has at least one "
           "and no pair repeats")
      .at_least(1);
  params.add("skew", &o.skew,
             "Power-law exponent of user activity and item popularity (0 = uniform; default 0.8, "
             "with --feedback implicit 0.3 for users and 0.75 for items)");
  params
      .add("popularity-exponent", &o.popularity_exponent,
           "Power-law exponent of item popularity alone: the i-th most popular item is drawn in "
           "proportion to i^-E (default: --skew's)")
      .value_name("E");
  params.add("seed", &o.model.seed, "Seed: the same seed gives the same bytes on any ranks");
  params.section("Model");
  params
      .add("true-rank", &o.model.true_rank,
           "Rank K of the hidden model (implicit: the number of tastes the items fall into)")
      .at_least(1)
      .at_most(1000);
  params
      .add("noise", &o.model.noise,
           "Standard deviation of the Gaussian noise on each rating (explicit feedback)")
      .at_least(0.0);
  params
      .add(
          "scale", &o.model.scale,
          "Ratings are rounded to the grid MIN, MIN+STEP, ..., MAX and clipped to it; STEP 0 keeps "
          "them continuous (explicit feedback)")
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
  params.example(
      "dmf generate --feedback implicit --users 358000 --items 160000 --ratings "
      "17500000 --out plays.csv",
      "Play counts shaped like last.fm-360k, from a hidden model of 10 tastes");
}

/// The exponents given, else the feedback kind's defaults; refuses the
/// explicit model's options under implicit feedback, where they would be
/// ignored.
data::GeneratorOptions resolve(const GenerateOptions& o, const ParamSet& params) {
  data::GeneratorOptions model = o.model;
  const auto defaults = data::default_exponents(model.feedback);
  model.skew = o.skew.value_or(defaults.activity);
  model.popularity_exponent = o.popularity_exponent.value_or(o.skew.value_or(defaults.popularity));
  if (model.feedback == data::GeneratedFeedback::kImplicit) {
    for (const char* name : {"noise", "scale"}) {
      DMF_CHECK(!params.given(name),
                "--{} applies to --feedback explicit: implicit feedback has play counts", name);
    }
  }
  return model;
}

int run(Context& context, const GenerateOptions& options, const ParamSet& params) {
  GenerateOptions o = options;
  o.model = context.comm.agree([&] { return resolve(options, params); });
  check_output_paths(context.comm, {{"--out", o.out, io::NamedPath::Kind::kFile, o.overwrite}},
                     with_config({}, params));
  if (dist::is_stdout(o.out)) context.console.results_to_stderr();
  data::GenerateOutput output;
  output.path = o.out;
  output.format = o.format;
  output.overwrite = o.overwrite;
  output.threads = context.comm.agree([&] { return resolve_threads(o.threads); });
  const bool implicit = o.model.feedback == data::GeneratedFeedback::kImplicit;
  const char* what = implicit ? "play counts" : "ratings";
  context.console.log("generating {} {} of {} users on {} items on {} rank(s) x {} thread(s)\n",
                      o.model.ratings, what, o.model.users, o.model.items, context.comm.size(),
                      output.threads);
  const auto report = data::generate_ratings(context.comm, o.model, output);
  const double megabytes = static_cast<double>(report.bytes) / 1e6;
  const std::string model =
      implicit ? fmt::format("{} tastes, activity exponent {}, popularity exponent {}",
                             o.model.true_rank, o.model.skew, o.model.popularity_exponent)
      : o.model.skew == o.model.popularity_exponent
          ? fmt::format("rank {}, noise sd {}, scale {}, skew {}", o.model.true_rank, o.model.noise,
                        format_value(o.model.scale), o.model.skew)
          : fmt::format("rank {}, noise sd {}, scale {}, skew {}, popularity exponent {}",
                        o.model.true_rank, o.model.noise, format_value(o.model.scale), o.model.skew,
                        o.model.popularity_exponent);
  context.console.out(
      "generated {} {} of {} users on {} items into {} ({}, {} bytes = {:.1f} MB) in {:.2f} s "
      "({:.0f} MB/s, {:.1f} M ratings/s) on {} rank(s); hidden model: {}, seed {}\n",
      report.ratings, what, o.model.users, o.model.items,
      dist::is_stdout(o.out) ? "standard output" : o.out, to_string(report.format), report.bytes,
      megabytes, report.seconds, megabytes / report.seconds,
      static_cast<double>(report.ratings) / 1e6 / report.seconds, context.comm.size(), model,
      o.model.seed);
  return 0;
}

}  // namespace

Command generate_command() {
  return make_command<GenerateOptions>(
      "generate",
      "Write synthetic ratings from a known low-rank model plus noise (MovieLens-shaped by "
      "default), or play counts from a hidden taste model (--feedback implicit)",
      declare, run);
}

}  // namespace dmf::cli
