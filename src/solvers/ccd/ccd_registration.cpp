// The ccd solver's entry in the registry: its option (the inner passes per
// coordinate), what it is built from and what it keeps in memory.
#include <algorithm>

#include <fmt/format.h>

#include "dmf/cli/params.hpp"
#include "dmf/solvers/ccd/ccd.hpp"
#include "dmf/solvers/registry.hpp"

namespace dmf::solvers {
namespace {

struct CcdConfig final : SolverConfig {
  CcdOptions options;

  [[nodiscard]] std::unique_ptr<Solver> make(const SolverInputs& in) const override {
    CcdOptions ccd = options;
    ccd.regularization = in.regularization;
    ccd.threads = in.threads;
    return std::make_unique<CcdSolver>(in.comm, in.ratings, in.model, ccd);
  }

  [[nodiscard]] std::vector<MemoryPart> memory(const MemoryShape& s) const override {
    const auto rows = [](std::uint64_t n) { return static_cast<double>(n); };
    const double ratings = rows(s.user_ratings) + rows(s.item_ratings);
    const double fetched_rows = std::min(rows(s.total_items), rows(s.user_ratings)) +
                                std::min(rows(s.total_users), rows(s.item_ratings));
    // Per rating of both blocks: its residual and its slot among the
    // fetched rows. Per fetched row: three values of a coordinate (as it
    // began, as last updated, the previous one's final), and its whole row
    // while the residuals are computed afresh.
    return {{"the residuals and fetched-row slots of both blocks", ratings * 8.0},
            {"the other side's rows fetched (whole, then one coordinate at a time)",
             fetched_rows * (s.row_bytes() + 3 * sizeof(float)) + s.own_bytes()},
            {"the copy kept to step back after a divergence", s.own_bytes()}};
  }
};

std::shared_ptr<SolverConfig> declare_ccd(cli::ParamSet& params,
                                          cli::Param<std::string>& /*solver*/) {
  auto config = std::make_shared<CcdConfig>();
  CcdOptions& o = config->options;
  const std::vector<std::string> ccd{"ccd"};
  params.section("CCD++ (--solver ccd)");
  params
      .add("ccd-inner", &o.inner,
           "Alternating closed-form passes (users, then items) per coordinate and epoch; the "
           "default 1 reached the lowest held-out RMSE per second on MovieLens-1M-shaped data")
      .value_name("N")
      .at_least(1)
      .solvers(ccd);
  return config;
}

}  // namespace

SolverEntry ccd_solver_entry() {
  return {"ccd",
          "cyclic coordinate descent (CCD++): one latent dimension at a time, each a rank-one "
          "problem solved in closed form, the biases as extra coordinates",
          /*follows_gradient=*/false, declare_ccd};
}

}  // namespace dmf::solvers
