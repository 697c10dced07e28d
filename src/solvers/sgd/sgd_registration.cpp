// The sgd solver's entry in the registry: its options (the step rule and
// learning rate), what it is built from and what it keeps in memory.
#include <fmt/format.h>

#include "dmf/cli/params.hpp"
#include "dmf/solvers/registry.hpp"
#include "dmf/solvers/sgd/sgd.hpp"

namespace dmf::solvers {
namespace {

struct SgdConfig final : SolverConfig {
  sgd::SgdOptions options;
  std::optional<double> lr;  // unset: the rule's default

  [[nodiscard]] std::unique_ptr<Solver> make(const SolverInputs& in) const override {
    sgd::SgdOptions o = options;
    o.regularization = in.regularization;
    o.learning_rate = lr.value_or(0.0);
    o.seed = in.seed;
    o.threads = in.threads;
    return std::make_unique<sgd::SgdSolver>(in.comm, in.ratings, in.model, o);
  }

  [[nodiscard]] std::vector<MemoryPart> memory(const MemoryShape& s) const override {
    // The held item block and the one arriving (at most every item row, with
    // its sums), the grid of this rank's ratings (12 bytes each), the sums
    // of the own rows, and a copy of rows and sums to step back after a
    // divergence.
    // A row's sums: one per factor (adagrad) or one (adagrad-row), and one
    // for the bias; none under sgd.
    const int width = sgd::factor_state_width(options.rule, s.k);
    const double sums_per_row =
        width == 0 ? 0.0 : (static_cast<double>(width) + 1.0) * sizeof(float);
    const double own_rows = static_cast<double>(s.local_users) + static_cast<double>(s.local_items);
    const double sums = own_rows * sums_per_row;
    const double ring = 2.0 * static_cast<double>(s.total_items) * (s.row_bytes() + sums_per_row);
    return {{"the item blocks going round the ranks (held and arriving)", ring},
            {"this rank's ratings by grid cell", static_cast<double>(s.user_ratings) * 12.0},
            {"the adagrad sums of the own rows", sums},
            {"the copy kept to step back after a divergence", s.own_bytes() + sums}};
  }
};

std::shared_ptr<SolverConfig> declare_sgd(cli::ParamSet& params,
                                          cli::Param<std::string>& /*solver*/) {
  auto config = std::make_shared<SgdConfig>();
  sgd::SgdOptions& o = config->options;
  const std::vector<std::string> sgd{"sgd"};
  // gd's step options, declared again for sgd with sgd's defaults and
  // values: where they mean the same thing they have the same name
  // (docs/design.md §4).
  params.section(std::string(kStepSection));
  params
      .add("optimizer", &o.rule,
           "How each parameter steps along its gradient, one rating at a time: adagrad-row, "
           "lr / (sqrt(s) + eps) with s the sum of the squared gradients' means over a factor "
           "row (LIBMF's: one root per row); adagrad, the same per coordinate; sgd, lr (with "
           "--schedule)")
      .solvers(sgd);
  params
      .add("lr", &config->lr,
           fmt::format("Learning rate (default: adagrad-row {}, adagrad {}, sgd {})",
                       sgd::default_learning_rate(sgd::StepRule::kAdagradRow),
                       sgd::default_learning_rate(sgd::StepRule::kAdagrad),
                       sgd::default_learning_rate(sgd::StepRule::kSgd)))
      .value_name("ETA")
      .check([](const std::optional<double>& l) { return !l || *l > 0.0; }, "must be positive")
      .solvers(sgd);
  // The schedule and its constants: only of plain steps.
  params
      .add("schedule", &o.schedule.kind,
           "Learning rate over epochs t of --optimizer sgd: constant; inv-sqrt lr/sqrt(t+c); "
           "inv lr*t1/(t+t1); step lr*factor^floor(t/every)")
      .solvers(sgd)
      .only_with("optimizer", "sgd");
  params.add("schedule-c", &o.schedule.c, "c of --schedule inv-sqrt")
      .positive()
      .solvers(sgd)
      .only_with("optimizer", "sgd");
  params.add("schedule-t1", &o.schedule.t1, "t1 of --schedule inv, in epochs")
      .positive()
      .solvers(sgd)
      .only_with("optimizer", "sgd");
  params.add("step-every", &o.schedule.step_every, "Epochs between decays of --schedule step")
      .positive()
      .solvers(sgd)
      .only_with("optimizer", "sgd");
  params.add("step-factor", &o.schedule.step_factor, "Factor of each decay of --schedule step")
      .check([](double f) { return f > 0.0 && f <= 1.0; }, "must be in (0, 1]")
      .solvers(sgd)
      .only_with("optimizer", "sgd");
  params.add("eps", &o.eps, "Epsilon of adagrad-row and adagrad").at_least(0.0).solvers(sgd);
  return config;
}

}  // namespace

SolverEntry sgd_solver_entry() {
  return {"sgd",
          "per-rating stochastic gradient descent, item blocks going round the ranks (DSGD) "
          "and disjoint blocks per thread (FPSGD)",
          /*follows_gradient=*/false, declare_sgd};
}

}  // namespace dmf::solvers
