// The als solver's entry in the registry: its options (how rows are
// solved), what it is built from and what it keeps in memory.
#include <algorithm>

#include <fmt/format.h>

#include "dmf/cli/params.hpp"
#include "dmf/solvers/als/als.hpp"
#include "dmf/solvers/registry.hpp"

namespace dmf::solvers {
namespace {

struct AlsConfig final : SolverConfig {
  AlsOptions options;

  [[nodiscard]] std::unique_ptr<Solver> make(const SolverInputs& in) const override {
    AlsOptions als = options;
    als.regularization = in.regularization;
    als.threads = in.threads;
    return std::make_unique<AlsSolver>(in.comm, in.ratings, in.model, als);
  }

  [[nodiscard]] std::vector<MemoryPart> memory(const MemoryShape& s) const override {
    const auto rows = [](std::uint64_t n) { return static_cast<double>(n); };
    const double width = static_cast<double>(s.k) + 1.0;
    // Each half-sweep fetches the other side's rows its ratings touch (at
    // most one per rating) and packs its own rows for sending; the fetched
    // rows are kept per side in the kernels' layout (rows padded to cache
    // lines: within this estimate at k = 15, 31, 47, 63, ...).
    const double fetched = (std::min(rows(s.total_items), rows(s.user_ratings)) +
                            std::min(rows(s.total_users), rows(s.item_ratings))) *
                           s.row_bytes();
    // A RowSolver per thread: the (k+1) x (k+1) normal equations and their
    // Cholesky factor in double, plus float chunks of the same size.
    return {{"the other side's rows fetched per half-sweep", fetched + s.own_bytes()},
            {fmt::format("{} thread(s) x the (k+1)^2 normal equations", s.threads),
             static_cast<double>(s.threads) * width * width * (3 * sizeof(double))},
            {"the copy kept to step back after a divergence", s.own_bytes()}};
  }
};

std::shared_ptr<SolverConfig> declare_als(cli::ParamSet& params,
                                          cli::Param<std::string>& /*solver*/) {
  auto config = std::make_shared<AlsConfig>();
  AlsOptions& o = config->options;
  const std::vector<std::string> als{"als"};
  params.section("ALS (--solver als)");
  params
      .add("als-solve", &o.solve,
           "How each row is solved: cg, --cg-steps conjugate-gradient steps from the row's "
           "current factors (O(n k) each; reaches a given held-out RMSE sooner); cholesky, "
           "exactly (O(n k^2 + k^3) for n ratings)")
      .solvers(als);
  params
      .add("cg-steps", &o.cg_steps,
           "Conjugate-gradient steps per row and half-sweep of --als-solve cg")
      .value_name("N")
      .at_least(1)
      .solvers(als)
      .only_with("als-solve", "cg");
  return config;
}

}  // namespace

SolverEntry als_solver_entry() {
  return {"als", "alternating least squares, each row solved given the other side's rows",
          /*follows_gradient=*/false, declare_als};
}

}  // namespace dmf::solvers
