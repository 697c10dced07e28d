// The implicit-ALS kernel: one row (a user given the items, or an item given
// the users) under the implicit-feedback objective (docs/design.md §2),
//   min_x Σ_all j c_j (p_j − x·y_j)² + ridge ‖x‖²
// whose normal equations, with G = Σ_all j y_j y_jᵀ the Gram matrix of the
// whole other side (computed once per half-sweep) and the sums over the
// row's observed pairs only, are
//   (G + Σ_obs (c_j − 1) y_j y_jᵀ + ridge I) x = Σ_obs c_j p_j y_j
// (unobserved pairs have c = 1, p = 0). solve() forms the matrix and factors
// it (Cholesky) in double; solve_cg() takes a few conjugate-gradient steps
// from the row's current factors without forming it, A v = G v + ridge v +
// Σ_obs (c_j − 1)(y_j·v) y_j, O(k² + n k) a step (Takács, Pilászy, Tikk,
// RecSys 2011; the `implicit` library's default). Both are pure functions
// of the row's observations in their stored order, G and the start: never
// of threads or ranks.
#pragma once

#include <span>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "dmf/solvers/als/row_solver.hpp"
#include "dmf/solvers/ials/confidence.hpp"

namespace dmf::solvers {

class ImplicitRowSolver {
 public:
  /// Observations whose rank-one terms are added to the matrix as one
  /// symmetric rank update of a k × kChunk block (solve()).
  static constexpr Eigen::Index kChunk = 64;
  /// Observations solve_cg() gathers at once, as double columns: a row of
  /// at most this many is gathered once and each step is two matrix-vector
  /// products over it; a longer row is gathered afresh, this many at a
  /// time, in every step (bounding the scratch to k × kGather doubles).
  static constexpr Eigen::Index kGather = 2048;

  explicit ImplicitRowSolver(int k);

  /// Solves the row exactly; `factors` (k values) receives x. `gram` is G.
  void solve(const RowRatings& row, const Eigen::MatrixXd& gram, const Confidence& confidence,
             double ridge, std::span<float> factors);

  /// `steps` conjugate-gradient steps from the current `factors`, which
  /// receive the result. Stops early when the residual vanishes.
  void solve_cg(const RowRatings& row, const Eigen::MatrixXd& gram, const Confidence& confidence,
                double ridge, int steps, std::span<float> factors);

  /// observed_loss() of the row this solver has just solved by solve_cg()
  /// (`row` and `confidence` as given to it), the same bits, from the
  /// columns it gathered when the row fits in one block (else it reads the
  /// rows again).
  [[nodiscard]] double solved_observed_loss(const RowRatings& row, const Confidence& confidence,
                                            std::span<const float> factors);

  /// The row's observed pairs' part of the data term beyond Σ_all j s_j²:
  /// Σ_obs [c_j (p_j − s_j)² − s_j²], s_j = x·y_j, with x = `factors`.
  [[nodiscard]] static double observed_loss(const RowRatings& row, const Confidence& confidence,
                                            std::span<const float> factors);

 private:
  /// confidences_ = c_j and extra_ = c_j − 1 per observation and
  /// rhs_ = Σ_obs c_j p_j y_j; with `gathered`, also gathered_ = the whole
  /// row (one read of each other row).
  void weigh(const RowRatings& row, const Confidence& confidence, bool gathered);
  /// gathered_'s first m columns = the other rows of observations
  /// [begin, begin + m).
  void gather(const RowRatings& row, Eigen::Index begin, Eigen::Index m);
  /// out = A v (see the file comment), one pass over the observations
  /// (after weigh(); with `gathered`, gathered_ holds the whole row).
  void apply(const RowRatings& row, const Eigen::MatrixXd& gram, double ridge, bool gathered,
             const Eigen::VectorXd& v, Eigen::VectorXd& out);

  Eigen::Index k_;
  Eigen::MatrixXd matrix_;                // A, for solve()
  Eigen::MatrixXd scaled_;                // k × kChunk: √(c_j − 1) y_j
  Eigen::LLT<Eigen::MatrixXd> cholesky_;  // of A
  Eigen::MatrixXd gathered_;              // k × kGather: y_j, for solve_cg()
  Eigen::VectorXd projections_;           // kGather: (c_j − 1) y_j·v
  Eigen::VectorXd extra_;                 // c_j − 1 per observation
  Eigen::VectorXd confidences_;           // c_j per observation
  bool last_gathered_ = false;            // gathered_ holds the last row solved
  Eigen::Index gathered_count_ = 0;       // its observations
  Eigen::VectorXd loss_x_;                // k: x in double, for solved_observed_loss()
  Eigen::VectorXd rhs_, x_, residual_, direction_, product_;
};

}  // namespace dmf::solvers
