// Implicit-feedback ALS (docs/design.md §4, implicit ALS; Hu, Koren,
// Volinsky, ICDM 2008): the confidence-weighted objective of §2 over all
// user-item pairs, minimized by alternating exact (or conjugate-gradient)
// solves of every user row given the items and every item row given the
// users. Each half-sweep computes the other side's Gram matrix once over all
// its rows (exact_gram: bitwise the same for any ranks × threads), then
// solves each row from it plus its observed pairs, which arrive through the
// same exchange plan as explicit ALS (no rank gathers a factor matrix).
#pragma once

#include <vector>

#include <Eigen/Core>

#include "dmf/solvers/als/als.hpp"
#include "dmf/solvers/als/feature_rows.hpp"
#include "dmf/solvers/exact_solver.hpp"
#include "dmf/solvers/ials/confidence.hpp"

namespace dmf::solvers {

struct IalsOptions {
  Regularization regularization;
  int threads = 1;
  AlsSolve solve = AlsSolve::kCg;  // as explicit ALS's default
  int cg_steps = 3;                // per row and half-sweep, with AlsSolve::kCg
  Confidence confidence;
};

class IalsSolver final : public ExactSolver {
 public:
  /// Collective. `data` and `model` must outlive the solver; `model` has the
  /// rows `data` owns on each side, no biases and μ = 0 (the implicit model
  /// is p_u·q_i alone).
  IalsSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
             IalsOptions options);

  /// The --solver it is: als, under --feedback implicit.
  [[nodiscard]] std::string_view name() const override { return "als"; }
  std::optional<Objective> run_epoch(const BetweenSteps& between_steps) override;
  /// The implicit objective: Σ_all c (p − p_u·q_i)² + the λ terms.
  [[nodiscard]] Objective objective() override;
  [[nodiscard]] Traffic traffic_per_epoch() const override;
  /// The feedback kind, the confidence and how rows are solved.
  [[nodiscard]] nlohmann::json report() const override;

  /// Collective: the user half-sweep (every user row solved given the items).
  void solve_users();
  /// Collective: the item half-sweep; returns the objective after it.
  Objective solve_items();

 private:
  /// One side as implicit ALS sweeps it, with the other side's rows it
  /// reads, aligned (FeatureRows: whole cache lines a row).
  struct Side : SweepSide {
    FeatureRows features;
    /// Per observation (in the block's order), w = c − 1 in float: what
    /// conjugate gradient weighs it by, computed once for the run.
    std::vector<float> weights;
  };

  Side make_side(bool users);
  /// One rank reads the other side's rows in the model's order (a copy into
  /// side.features): no exchange.
  [[nodiscard]] bool in_place() const noexcept { return comm_.size() == 1; }
  /// Brings the other side's rows `side` needs into side.features (through
  /// the exchange, or from the model on one rank).
  void fetch(Side& side);
  /// Where row `row` of `side` finds its observations and their features.
  [[nodiscard]] RowRatings observations(const Side& side, std::uint32_t row) const;
  /// Solves every row of `side` given `gram`, the other side's; returns this
  /// rank's Σ of the rows' observed_loss after, when `measure`.
  double solve(Side& side, const Eigen::MatrixXd& gram, bool measure);
  /// This rank's Σ of observed_loss over `side`'s rows (fetched afresh).
  double observed_loss(Side& side);
  /// Collective: the other side's Gram matrix, bitwise the same everywhere.
  [[nodiscard]] Eigen::MatrixXd gram(const model::FactorBlock& rows) const;
  /// Collective: the objective from this rank's observed-pair part and the
  /// two Gram matrices (Σ_all s² = trace(PᵀP QᵀQ)).
  [[nodiscard]] Objective total(double local_observed, const Eigen::MatrixXd& user_gram,
                                const Eigen::MatrixXd& item_gram) const;

  IalsOptions options_;
  Side users_;
  Side items_;
  std::vector<float> exchanged_;    // the rows received, packed, before FeatureRows
  std::vector<double> row_losses_;  // per row of the side being solved
};

}  // namespace dmf::solvers
