// Alternating least squares over user and item blocks (docs/design.md §4):
// every user row solved given the items (a few conjugate-gradient steps, or
// exactly), then every item row given the users. A rank solves the rows it
// owns; the other side's rows it needs come through an exchange plan built
// once (one MPI_Alltoallv per half-sweep).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/dist/row_exchange.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/als/feature_rows.hpp"
#include "dmf/solvers/als/row_solver.hpp"
#include "dmf/solvers/exact_solver.hpp"

namespace dmf::solvers {

/// How a row's least-squares problem is solved (row_solver.hpp).
enum class AlsSolve {
  kCholesky,  // exactly: the normal equations, by Cholesky
  kCg,        // a few conjugate-gradient steps from the row's current factors
};

inline std::span<const EnumName<AlsSolve>> enum_names(AlsSolve /*tag*/) {
  static constexpr std::array<EnumName<AlsSolve>, 2> kNames{{
      {AlsSolve::kCholesky, "cholesky"},
      {AlsSolve::kCg, "cg"},
  }};
  return kNames;
}

struct AlsOptions {
  Regularization regularization;
  int threads = 1;
  // The default: sooner to a given held-out RMSE (README, Benchmarks).
  AlsSolve solve = AlsSolve::kCg;
  int cg_steps = 3;  // per row and half-sweep, with AlsSolve::kCg
};

class AlsSolver final : public ExactSolver {
 public:
  /// Collective. `data` and `model` must outlive the solver; `model` has the
  /// rows `data` owns on each side.
  AlsSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
            AlsOptions options);

  [[nodiscard]] std::string_view name() const override { return "als"; }
  std::optional<Objective> run_epoch(const BetweenSteps& between_steps) override;
  [[nodiscard]] Objective objective() override;
  [[nodiscard]] Traffic traffic_per_epoch() const override;
  /// How rows are solved (and, with cg, in how many steps).
  [[nodiscard]] nlohmann::json report() const override;

  /// Collective: the user half-sweep (every user row solved given the items).
  void solve_users();
  /// Collective: the item half-sweep; returns the objective after it.
  Objective solve_items();

 private:
  /// One side as ALS sweeps it, with the rows of the other side it reads.
  struct Side : SweepSide {
    /// The other side's rows this rank needs (on one rank, all of them) as
    /// the row kernels read them.
    FeatureRows features;
  };

  /// The user side (`users`) or the item side.
  Side make_side(bool users);
  /// One rank reads the other side's rows in the model, where they lie:
  /// no exchange, no copy.
  [[nodiscard]] bool in_place() const noexcept { return comm_.size() == 1; }
  /// Brings the other side's rows `side` needs into side.features (through
  /// the exchange, or from the model on one rank).
  void fetch(Side& side);
  /// Where row `row` of `side` finds its ratings and their features.
  [[nodiscard]] RowRatings row_ratings(const Side& side, std::uint32_t row) const;
  /// Solves every row of `side`; returns Σ (r − r̂)² of its ratings after
  /// when `measure` (0 otherwise: the user half-sweep needs no figure).
  double solve(Side& side, bool measure);
  /// Σ (r − r̂)² of `side`'s ratings with the current rows (fetched afresh).
  double squared_error(Side& side);

  AlsOptions options_;
  Side users_;
  Side items_;
  std::vector<float> exchanged_;    // the rows received, packed, before they go to features
  std::vector<double> row_errors_;  // per row of the side being solved
};

}  // namespace dmf::solvers
