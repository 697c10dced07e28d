// dmf gradcheck: the objective's analytic gradient against finite
// differences, on a model initialized as train would initialize it.
#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/train_options.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/model/init.hpp"
#include "dmf/solvers/gradcheck.hpp"

namespace dmf::cli {
namespace {

struct GradcheckCliOptions {
  std::string data;
  data::LoadOptions load;
  ModelOptions model;
  solvers::GradcheckOptions check;
  double tolerance = 1e-4;
  int threads = 0;
};

void declare(ParamSet& params, GradcheckCliOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The ratings file").value_name("FILE").required();
  declare_load_options(params, o.load);
  declare_model_options(params, o.model);
  params.section("Check");
  declare_init_options(params, o.model,
                       "Seed of the initial factors and of which coordinates are checked");
  params.add("samples", &o.check.samples, "Coordinates to check (users and items alike)")
      .value_name("N")
      .at_least(1);
  params.add("step", &o.check.step, "h of the central difference (L(x+h) - L(x-h)) / 2h")
      .value_name("H")
      .positive();
  params.add("tolerance", &o.tolerance, "Largest relative error that passes").value_name("T").at_least(0.0);
  declare_threads(params, o.threads);
  params.example("dmf gradcheck --data ratings.csv --rank 4",
                 "The analytic gradient against finite differences at a random model");
  params.example("dmf gradcheck --data ratings.csv --biases none --reg-weighting uniform "
                 "--samples 200",
                 "Another objective, more coordinates");
}

int run(Context& context, const GradcheckCliOptions& o, const ParamSet& /*params*/) {
  const auto& comm = context.comm;
  data::LoadOptions load = o.load;
  load.threads = comm.agree([&] { return resolve_threads(o.threads); });
  const data::RatingsData ratings = data::load_ratings(comm, o.data, load);
  const model::Model model = model::init_model(comm, ratings, o.model.rank, o.model.biases,
                                               o.model.seed, o.model.init_scale);
  solvers::GradcheckOptions check = o.check;
  check.seed = o.model.seed;
  const auto result = solvers::gradient_check(comm, ratings, model, regularization(o.model), check);
  const auto& w = result.worst;
  const double error = w.relative_error();
  const bool pass = error <= o.tolerance;
  context.console.out("gradcheck on {}: {} coordinates, max relative error {:.3e} ({} {} column {}: "
                      "analytic {:.10g}, finite difference {:.10g}) {}\n",
                      o.data, result.checked, error, w.side, w.row, w.column, w.analytic,
                      w.numeric, pass ? "ok" : fmt::format("above {:g}: FAILED", o.tolerance));
  return pass ? 0 : 1;
}

}  // namespace

Command gradcheck_command() {
  return make_command<GradcheckCliOptions>(
      "gradcheck",
      "Check the objective's analytic gradient (as gd computes it) against central finite "
      "differences",
      declare, run);
}

}  // namespace dmf::cli
