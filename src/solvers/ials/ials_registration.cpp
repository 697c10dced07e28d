// Implicit ALS's entry in the registry: --solver als under --feedback
// implicit. Its own options say how observations become confidences; how
// rows are solved is explicit ALS's --als-solve and --cg-steps, which keep
// their meaning here.
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "dmf/cli/params.hpp"
#include "dmf/core/error.hpp"
#include "dmf/solvers/ials/ials.hpp"
#include "dmf/solvers/registry.hpp"

namespace dmf::solvers {
namespace {

struct IalsConfig final : SolverConfig {
  IalsOptions options;
  // Explicit ALS's declarations of --als-solve and --cg-steps (the registry
  // declares als first), read when the solver is made: one option each for
  // both kinds of feedback.
  const cli::ParamSpec* als_solve = nullptr;
  const cli::ParamSpec* cg_steps = nullptr;

  [[nodiscard]] std::unique_ptr<Solver> make(const SolverInputs& in) const override {
    IalsOptions ials = options;
    ials.regularization = in.regularization;
    ials.threads = in.threads;
    const std::string solve = als_solve->current();
    DMF_CHECK(from_string(solve, ials.solve), "--als-solve: '{}' is not cholesky or cg", solve);
    ials.cg_steps = std::stoi(cg_steps->current());
    return std::make_unique<IalsSolver>(in.comm, in.ratings, in.model, ials);
  }

  [[nodiscard]] std::vector<MemoryPart> memory(const MemoryShape& s) const override {
    const auto rows = [](std::uint64_t n) { return static_cast<double>(n); };
    const double k = s.k;
    // As explicit ALS: the other side's rows its observations touch (kept
    // in the kernels' layout, rows padded to cache lines), and its own rows
    // packed for sending.
    const double fetched = (std::min(rows(s.total_items), rows(s.user_ratings)) +
                            std::min(rows(s.total_users), rows(s.item_ratings))) *
                           s.row_bytes();
    // Per thread, in double: the k × k system and its Cholesky factor, a
    // k × 64 block of observations for the exact solve, CG's few vectors;
    // and the Gram matrices (in double, and in float for CG).
    const double per_thread = 2 * k * k + 64 * k + 8 * k;
    std::vector<MemoryPart> parts{
        {"the other side's rows fetched per half-sweep", fetched + s.own_bytes()},
        {fmt::format("{} thread(s) x the k^2 systems", s.threads),
         (static_cast<double>(s.threads) * per_thread + 3 * k * k) * sizeof(double)},
        {"the copy kept to step back after a divergence", s.own_bytes()}};
    if (als_solve->current() == "cg") {
      // (filled in place: GCC 12 at -O3 warns, wrongly, about the move of a
      // temporary's long string here, -Warray-bounds)
      MemoryPart& weights = parts.emplace_back();
      weights.what.assign("cg's confidence weights, a float per rating and side");
      weights.bytes = (rows(s.user_ratings) + rows(s.item_ratings)) * sizeof(float);
    }
    return parts;
  }
};

std::shared_ptr<SolverConfig> declare_ials(cli::ParamSet& params,
                                           cli::Param<std::string>& /*solver*/) {
  auto config = std::make_shared<IalsConfig>();
  config->als_solve = &params.spec("als-solve");
  config->cg_steps = &params.spec("cg-steps");
  Confidence& c = config->options.confidence;
  const std::vector<std::string> als{"als"};
  params.section("Implicit feedback (--feedback implicit)");
  params
      .add("alpha", &c.alpha,
           "Confidence of an observed pair: c = 1 + alpha r (linear) or 1 + alpha log(1 + r/eps) "
           "(log); unobserved pairs have c = 1")
      .value_name("A")
      .at_least(0.0)
      .solvers(als)
      .only_with("feedback", "implicit");
  params
      .add("confidence", &c.scale,
           "How an observed value r (a count: plays, clicks) becomes a confidence: linear or log")
      .solvers(als)
      .only_with("feedback", "implicit");
  params
      .add("confidence-epsilon", &c.epsilon,
           "eps of --confidence log: c = 1 + alpha log(1 + r/eps)")
      .value_name("EPS")
      .positive()
      .solvers(als)
      .only_with("confidence", "log");
  return config;
}

}  // namespace

SolverEntry ials_solver_entry() {
  return {"als", "confidence-weighted ALS over all user-item pairs (Hu, Koren, Volinsky 2008)",
          /*follows_gradient=*/false, declare_ials, model::Feedback::kImplicit};
}

}  // namespace dmf::solvers
