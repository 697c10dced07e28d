// The ALS kernel: one row (a user given the items, or an item given the
// users) solved exactly. With the row's bias as unknown x = [p; b] and the
// other side's rows as features [q_i; 1], the row minimizes
//   Σ_i (y_i − [q_i; 1]·x)² + λw ‖x‖²,   y_i = r_i − μ − b_i,
// whose normal equations (Σ [q_i;1][q_i;1]ᵀ + λw I) x = Σ y_i [q_i;1] are
// solved by Cholesky. Without a bias x = p and the features are q_i.
//
// The Gram matrix is built from chunks of gathered feature rows with a
// symmetric rank-k update (GEMM speed), each chunk in float and the chunks
// added in double; the system is solved in double. A row with fewer ratings
// than unknowns solves the equivalent dual system (XXᵀ + λw I) α = y,
// x = Xᵀα, which is smaller. A row's result depends only on its own ratings
// in their stored order, never on threads or ranks.
#pragma once

#include <cstdint>
#include <span>

#include <Eigen/Core>

namespace dmf::solvers {

/// The ratings of one row and where its features are.
struct RowRatings {
  std::span<const std::uint32_t> slots;  // per rating: the feature row in `features`
  std::span<const float> values;         // per rating: the rating
  const float* features = nullptr;       // packed rows: k factors then the bias
  std::size_t feature_width = 0;         // k + 1
};

class RowSolver {
 public:
  /// Ratings gathered per chunk: the chunk stays in L1/L2 and the rank
  /// update still runs at GEMM speed.
  static constexpr std::size_t kChunk = 256;

  RowSolver(int k, bool with_bias);

  /// Solves the row: `factors` (k values) and `bias` receive x. `ridge` is
  /// λw. A row with no ratings gets zeros. Returns Σ (y − xᵀf)² of the
  /// solution, from the quantities of the solve (no second pass over the
  /// ratings): exact up to rounding, with the factors in double precision.
  double solve(const RowRatings& row, float mu, double ridge, std::span<float> factors,
               float& bias);

  /// Σ (r − r̂)² of the row with its current `factors` and `bias` (a metric:
  /// its rounding may depend on memory alignment, the factors never do).
  [[nodiscard]] static double squared_error(const RowRatings& row, float mu,
                                            std::span<const float> factors, float bias);

  /// Floating-point operations of the Gram build for `ratings` ratings,
  /// counted as k(k+1) per rating (the benchmark's unit).
  [[nodiscard]] static double gram_flops(int k, std::uint64_t ratings) noexcept {
    return static_cast<double>(k) * (k + 1) * static_cast<double>(ratings);
  }

 private:
  using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// Gathers the features and targets of ratings [begin, begin + kChunk) of
  /// `row` into chunk_ / targets_; returns how many.
  Eigen::Index gather(const RowRatings& row, float mu, std::size_t begin);
  /// x_ from the (k+1)×(k+1) normal equations; returns its squared error.
  double solve_primal(const RowRatings& row, float mu, double ridge);
  /// x_ from the n × n dual system (n ratings, n < k+1); returns its
  /// squared error.
  double solve_dual(const RowRatings& row, float mu, double ridge);

  int k_;
  bool with_bias_;
  Eigen::Index dim_;
  RowMajorF chunk_;          // kChunk × dim gathered features
  Eigen::VectorXf targets_;  // kChunk
  double targets_squared_ = 0.0;  // Σ y² of the row, summed by gather()
  Eigen::MatrixXf gram_chunk_;
  Eigen::VectorXf rhs_chunk_;
  Eigen::MatrixXd gram_;
  Eigen::VectorXd rhs_;
  Eigen::MatrixXd factor_;  // the Cholesky factor (lower)
  Eigen::MatrixXf dual_chunk_;
  Eigen::MatrixXd dual_;
  Eigen::VectorXd alpha_;
  Eigen::VectorXd x_;  // the solution
};

}  // namespace dmf::solvers
