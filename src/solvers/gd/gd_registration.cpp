// The gd solver's entry in the registry: its options (the optimizer, the
// learning rate and its schedule, the batch), what it is built from and
// what it keeps in memory.
#include <algorithm>

#include <fmt/format.h>

#include "dmf/cli/params.hpp"
#include "dmf/solvers/gd/gd.hpp"
#include "dmf/solvers/registry.hpp"

namespace dmf::solvers {
namespace {

struct GdConfig final : SolverConfig {
  GdOptions options;
  std::optional<double> lr;              // unset: the optimizer's default
  std::optional<ScheduleKind> schedule;  // unset: the optimizer's default

  GdConfig() { options.batch_size = 10000; }

  [[nodiscard]] std::unique_ptr<Solver> make(const SolverInputs& in) const override {
    GdOptions gd = options;
    gd.regularization = in.regularization;
    gd.learning_rate = lr.value_or(0.0);
    gd.schedule.kind = schedule.value_or(default_schedule(gd.optimizer.kind));
    gd.seed = in.seed;
    gd.threads = in.threads;
    return std::make_unique<GdSolver>(in.comm, in.ratings, in.model, gd);
  }

  [[nodiscard]] std::vector<MemoryPart> memory(const MemoryShape& s) const override {
    // gd replicates every item row, sums item gradients in double, keeps
    // its optimizer state per parameter, and a copy of all of it to step
    // back after a divergence.
    const double width = static_cast<double>(s.k) + 1.0;
    const auto items = static_cast<double>(s.total_items);
    const double replicated = items * s.row_bytes();
    const double params = s.own_bytes() + replicated;
    const int slots = state_slots(options.optimizer.kind);
    std::vector<MemoryPart> parts{
        {fmt::format("every item's row, replicated ({} items)", s.total_items), replicated},
        {"the item gradient sums", items * (width + 1.0) * sizeof(double)},
        {fmt::format("{} optimizer state array(s)", slots), params * slots},
        {"the copy kept to step back after a divergence", params * (1.0 + slots)},
        // users, items, ratings, by-item order and the two group lists
        // (4 bytes each), the step each rating is dealt to and the
        // shuffle that deals them while it is planned (epoch_plan.hpp).
        {"the epoch plan", static_cast<double>(s.user_ratings) * (6 * 4 + 4 + 8)},
        {fmt::format("{} thread(s) x gradient scratch", s.threads),
         static_cast<double>(s.threads) * (3.0 * width + 2.0) * sizeof(double)}};
    if (options.batch_size == 0) {
      // The full-batch pass (user_pass.hpp): each user's sums, the items'
      // padded rows in double and their sums, the transposed item factors.
      const auto padded =
          static_cast<double>(ItemTable::padded_width(static_cast<std::size_t>(s.k)));
      parts.push_back({"the full-batch pass's sums and item table",
                       (static_cast<double>(s.local_users) * (width + 1.0) + 2.0 * items * padded) *
                               sizeof(double) +
                           items * static_cast<double>(s.k) * sizeof(float)});
    }
    return parts;
  }
};

std::shared_ptr<SolverConfig> declare_gd(cli::ParamSet& params, cli::Param<std::string>& solver) {
  auto config = std::make_shared<GdConfig>();
  GdOptions& o = config->options;
  // An optimizer's name given as the solver: say where it goes (unless the
  // name is a solver too: --solver sgd is per-rating SGD).
  const auto solvers = solver_names();
  for (const auto& entry : enum_names(OptimizerKind{})) {
    if (std::ranges::find(solvers, entry.name) != solvers.end()) continue;
    solver.hint(std::string(entry.name),
                fmt::format("{0} is an optimizer of the gd solver: --solver gd --optimizer {0}",
                            entry.name));
  }
  const std::vector<std::string> gd{"gd"};
  // The step options sgd declares too, each for itself (docs/design.md §4).
  params.section(std::string(kStepSection));
  params.add("optimizer", &o.optimizer.kind, "The update rule (see the README for each formula)")
      .solvers(gd);
  params
      .add("lr", &config->lr,
           "Learning rate (default per optimizer: sgd 0.1, momentum 0.01, nesterov 0.01, "
           "adagrad 0.1, adagrad-avg 0.01, rmsprop 0.01, adam 0.01)")
      .value_name("ETA")
      .check([](const std::optional<double>& l) { return !l || *l > 0.0; }, "must be positive")
      .solvers(gd);
  params
      .add("schedule", &config->schedule,
           "Learning rate over time t in epochs: constant; inv-sqrt lr/sqrt(t+c); "
           "inv lr*t1/(t+t1); step lr*factor^floor(t/every) (default: step for sgd, momentum "
           "and nesterov, constant for the others)")
      .solvers(gd);
  params.add("schedule-c", &o.schedule.c, "c of --schedule inv-sqrt")
      .value_name("C")
      .positive()
      .solvers(gd);
  params.add("schedule-t1", &o.schedule.t1, "t1 of --schedule inv, in epochs")
      .value_name("T1")
      .positive()
      .solvers(gd);
  params.add("step-every", &o.schedule.step_every, "Epochs between decays of --schedule step")
      .value_name("N")
      .positive()
      .solvers(gd);
  params.add("step-factor", &o.schedule.step_factor, "Factor of each decay of --schedule step")
      .value_name("F")
      .check([](double f) { return f > 0.0 && f <= 1.0; }, "must be in (0, 1]")
      .solvers(gd);
  params.add("eps", &o.optimizer.eps, "Epsilon of adagrad, adagrad-avg, rmsprop and adam")
      .value_name("E")
      .at_least(0.0)
      .solvers(gd);

  params.section("Gradient descent (--solver gd)");
  params
      .add("batch-size", &o.batch_size,
           "Ratings per step over all ranks; 0, or at least the number of ratings, is full-batch "
           "gradient descent")
      .value_name("B")
      .solvers(gd);
  params.add("momentum", &o.optimizer.momentum, "Momentum of momentum and nesterov")
      .value_name("M")
      .at_least(0.0)
      .below(1.0)
      .solvers(gd);
  params.add("beta1", &o.optimizer.beta1, "Adam's decay of the gradient average")
      .value_name("B1")
      .at_least(0.0)
      .below(1.0)
      .solvers(gd);
  params.add("beta2", &o.optimizer.beta2, "Adam's decay of the squared-gradient average")
      .value_name("B2")
      .at_least(0.0)
      .below(1.0)
      .solvers(gd);
  params.add("decay", &o.optimizer.decay, "Decay of rmsprop's average of squared gradients")
      .value_name("RHO")
      .at_least(0.0)
      .below(1.0)
      .solvers(gd);
  params
      .add("eps-placement", &o.optimizer.eps_placement,
           "outside: g / (sqrt(s) + eps); inside: g / sqrt(s + eps)")
      .solvers(gd);
  params
      .add("sparse-allreduce", &o.sparse,
           "How item gradients are summed over ranks (the same bits either way): on, only the "
           "rows a step touched; off, the whole matrix; auto, whichever moves fewer bytes, where "
           "their measured times cross (docs/design.md §4)")
      .solvers(gd);
  return config;
}

}  // namespace

SolverEntry gd_solver_entry() {
  return {"gd", "synchronous mini-batch gradient descent with an --optimizer",
          /*follows_gradient=*/true, declare_gd};
}

}  // namespace dmf::solvers
