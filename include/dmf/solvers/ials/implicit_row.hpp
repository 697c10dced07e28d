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
// RecSys 2011; the `implicit` library's default): the products in float SIMD
// (weighted_pass.hpp: one pass over the row's feature rows, read where they
// lie, and G v from the float PackedGram), CG's vectors in double. Both are
// pure functions of the row's observations in their stored order, G and the
// start: never of threads, ranks or where the feature rows lie.
#pragma once

#include <span>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "dmf/solvers/als/row_solver.hpp"
#include "dmf/solvers/ials/confidence.hpp"
#include "dmf/solvers/ials/weighted_pass.hpp"

namespace dmf::solvers {

class ImplicitRowSolver {
 public:
  /// Observations whose rank-one terms are added to the matrix as one
  /// symmetric rank update of a k × kChunk block (solve()).
  static constexpr Eigen::Index kChunk = 64;

  explicit ImplicitRowSolver(int k);

  /// Solves the row exactly; `factors` (k values) receives x. `gram` is G.
  void solve(const RowRatings& row, const Eigen::MatrixXd& gram, const Confidence& confidence,
             double ridge, std::span<float> factors);

  /// `steps` conjugate-gradient steps from the current `factors`, which
  /// receive the result; `weights` are the row's w_j = c_j − 1
  /// (confidence_weights()), `gram` is G in float. Stops early when the
  /// residual is down to the rounding of the float products.
  void solve_cg(const RowRatings& row, std::span<const float> weights, const PackedGram& gram,
                double ridge, int steps, std::span<float> factors);

  /// out[j] = c_j − 1 of values[j], in float: what solve_cg() weighs
  /// observation j by, computed once for every half-sweep of a run (the
  /// values never change).
  static void confidence_weights(std::span<const float> values, const Confidence& confidence,
                                 std::span<float> out);

  /// The row's observed pairs' part of the data term beyond Σ_all j s_j²:
  /// Σ_obs [c_j (p_j − s_j)² − s_j²], s_j = x·y_j, with x = `factors`.
  [[nodiscard]] static double observed_loss(const RowRatings& row, const Confidence& confidence,
                                            std::span<const float> factors);

 private:
  /// extra_ = c_j − 1 per observation and rhs_ = Σ_obs c_j p_j y_j (solve()).
  void weigh(const RowRatings& row, const Confidence& confidence);
  /// direction_ = v in float (its padding stays zero).
  void set_direction(const Eigen::VectorXd& v);

  Eigen::Index k_;
  // The scratch of every row, sized once: no allocation per row (the
  // per-observation vectors grow to the longest row and stay).
  Eigen::MatrixXd matrix_;                // A, for solve()
  Eigen::MatrixXd scaled_;                // k × kChunk: √(c_j − 1) y_j
  Eigen::LLT<Eigen::MatrixXd> cholesky_;  // of A
  std::vector<double> extra_;             // c_j − 1 per observation, for solve()
  std::vector<float> targets_;            // c_j p_j per observation, for solve_cg()
  Eigen::VectorXf direction_;             // the vector of a pass, in float, padded
  Eigen::VectorXd rhs_, x_, residual_, search_, product_, gram_product_;
};

}  // namespace dmf::solvers
