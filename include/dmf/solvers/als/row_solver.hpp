// The ALS kernel: one row (a user given the items, or an item given the
// users) solved exactly. With the row's bias as unknown x = [p; b] and the
// other side's rows as features [q_i; 1], the row minimizes
//   Σ_i (y_i − [q_i; 1]·x)² + λw ‖x‖²,   y_i = r_i − μ − b_i,
// whose normal equations (Σ [q_i;1][q_i;1]ᵀ + λw I) x = Σ y_i [q_i;1] are
// solved by Cholesky. Without a bias x = p and the features are q_i.
//
// The normal equations are built in one pass over the row: its ratings are
// gathered, a block that fits L1 at a time, into rows z_i = [q_i; 1; y_i]
// padded to whole SIMD packets, and register tiles of Σ z_i z_iᵀ (one packet
// of rows, two with AVX-512, × up to 12 columns) accumulate rating by rating
// in float, in the row's stored order; every kChunk ratings the float sums
// are added into the double Gram matrix and right-hand side. Each entry is therefore the same
// float/double sum whatever the L1 block, the SIMD width or the memory
// alignment: a row's result depends only on its own ratings in their stored
// order, never on threads or ranks. The system is solved in double
// (Cholesky two columns at a time, triangular solves by packets). A row
// with fewer ratings than unknowns solves the equivalent dual system
// (XXᵀ + λw I) α = y, x = Xᵀα, which is smaller.
//
// solve_cg() instead takes a few conjugate-gradient steps on the same
// equations, warm-started from the row's current factors, without forming
// the Gram matrix: O(n·k) per step instead of O(n·k²) (Takács, Pilászy,
// Tikk, RecSys 2011; the `implicit` library's default).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

namespace dmf::solvers {

/// The ratings of one row and where its features are.
struct RowRatings {
  std::span<const std::uint32_t> slots;  // per rating: the feature row in `features`
  std::span<const float> values;         // per rating: the rating
  const float* features = nullptr;       // packed rows: k factors then the bias
  std::size_t feature_width = 0;         // k + 1
  /// When set, the biases of the feature rows, one per slot, and
  /// `features` holds rows of k factors (feature_width ≥ k) without them:
  /// the model's own rows read in place (one rank fetches nothing).
  const float* biases = nullptr;

  /// The bias of feature row `slot`.
  [[nodiscard]] float bias(std::uint32_t slot, std::size_t k) const noexcept {
    return biases != nullptr ? biases[slot] : features[slot * feature_width + k];
  }
};

class RowSolver {
 public:
  /// Ratings whose Gram terms are summed in float before being added in
  /// double: float rounding stays near 1e-6 relative for rows of any length,
  /// and the double additions cost 1/kChunk of the build.
  static constexpr std::size_t kChunk = 256;

  RowSolver(int k, bool with_bias);

  /// Solves the row: `factors` (k values) and `bias` receive x. `ridge` is
  /// λw. A row with no ratings gets zeros. Returns Σ (y − xᵀf)² of the
  /// solution, from the quantities of the solve (no second pass over the
  /// ratings): exact up to rounding, with the factors in double precision.
  double solve(const RowRatings& row, float mu, double ridge, std::span<float> factors,
               float& bias);

  /// `steps` conjugate-gradient steps on the row's normal equations, starting
  /// from the current `factors` and `bias` (which receive the result), each
  /// step one pass over the ratings (plus one for the starting residual).
  /// Stops early when the residual vanishes. A row with no ratings gets
  /// zeros. Returns Σ (y − xᵀf)² of the result, from the quantities of the
  /// iteration (no extra pass). Like solve(), a pure function of the row's
  /// ratings in their stored order and the starting point.
  double solve_cg(const RowRatings& row, float mu, double ridge, int steps,
                  std::span<float> factors, float& bias);

  /// Builds the normal equations of `row` without solving them: gram()
  /// (lower triangle, without the ridge), rhs() and targets_squared().
  /// solve() starts with this on rows with at least as many ratings as
  /// unknowns.
  void build_normal_equations(const RowRatings& row, float mu);
  /// Solves the equations of the last build_normal_equations() with
  /// `ridge` λw on the diagonal (the Cholesky phase of solve(); the Gram
  /// matrix is left as it was). Returns what solve() returns.
  double solve_normal_equations(double ridge, std::span<float> factors, float& bias);
  [[nodiscard]] const Eigen::MatrixXd& gram() const noexcept { return gram_; }
  [[nodiscard]] const Eigen::VectorXd& rhs() const noexcept { return rhs_; }
  [[nodiscard]] double targets_squared() const noexcept { return targets_squared_; }
  /// Ratings gathered at a time by the Gram build (what fits L1 at this k):
  /// a blocking that must not change the sums' bits.
  [[nodiscard]] std::size_t gather_block() const noexcept { return block_; }

  /// Asks for the feature rows of the first ratings of `row`, those a pass
  /// reads before its own prefetches (which run a fixed number of ratings
  /// ahead) have arrived: called a row early, the next row's first ratings
  /// come from memory while this row's passes run in cache.
  static void prefetch_start(const RowRatings& row, int k) noexcept;

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
  /// One register tile of the Gram build: rows [row, row + packets SIMD
  /// packets) of the gathered z_i against their columns [first_column,
  /// first_column + columns), at most 12.
  struct Tile {
    Eigen::Index row;
    Eigen::Index packets;
    Eigen::Index first_column;
    Eigen::Index columns;
  };

  /// Gathers z_j = [q; 1; y] of ratings [begin, begin + count) of `row` into
  /// the rows of gathered_; adds their Σ y and Σ y² to the sums.
  void gather(const RowRatings& row, float mu, std::size_t begin, std::size_t count);
  /// Adds the tiles' float sums of one chunk into gram_ and rhs_.
  void add_chunk();
  /// x_ from the (k+1)×(k+1) normal equations; returns its squared error.
  double solve_primal(const RowRatings& row, float mu, double ridge);
  /// x_ from the equations built by build_normal_equations().
  double solve_built(double ridge);
  /// One pass of conjugate gradient over the row (cg_pass.hpp): out = Σ e_j
  /// z_j with e_j = y_j − z_jᵀv (or −z_jᵀv without targets), z_j = [q_j; 1];
  /// returns Σ e_j².
  double cg_pass(const RowRatings& row, float mu, const Eigen::VectorXd& v, bool with_targets,
                 Eigen::VectorXd& out);
  /// Writes x_ to the caller's factors and bias.
  void store(std::span<float> factors, float& bias) const;
  /// x_ from the n × n dual system (n ratings, n < k+1); returns its
  /// squared error.
  double solve_dual(const RowRatings& row, float mu, double ridge);

  int k_;
  bool with_bias_;
  Eigen::Index dim_;           // unknowns: k, plus the bias
  Eigen::Index stride_;        // floats per gathered row: z = [q; 1; y], padded
  Eigen::Index tile_rows_;     // rows of the tiles' float sums: k padded to a packet
  std::size_t block_ = 0;      // ratings gathered at a time (fits L1)
  Eigen::VectorXf gathered_;   // block_ rows of stride_ floats, packet-aligned
  Eigen::VectorXf tile_sums_;  // tile_rows_ × (dim_+1), column-major: Σ z_r z_c in float
  std::vector<Tile> tiles_;
  float chunk_targets_ = 0.0F;    // Σ y of the current chunk, in float
  double targets_squared_ = 0.0;  // Σ y² of the row, in double
  Eigen::MatrixXd gram_;
  Eigen::VectorXd rhs_;
  Eigen::MatrixXd factor_;          // the Cholesky factor (lower), rows padded to packets
  Eigen::VectorXd inverse_pivots_;  // 1 / its diagonal
  Eigen::VectorXd solution_;        // the triangular solves' vector, padded like factor_'s rows
  Eigen::MatrixXf dual_chunk_;
  Eigen::MatrixXd dual_;
  Eigen::VectorXd alpha_;
  Eigen::VectorXd x_;  // the solution
  // Conjugate gradient: the start, Xᵀ(y − X start), the residual (now and
  // at the start), the direction and its image, the step from the start.
  Eigen::VectorXd cg_x_, cg_g_, cg_r_, cg_start_r_, cg_p_, cg_ap_, cg_delta_;
  Eigen::VectorXf cg_direction_;  // the vector of a pass, in float, padded
};

}  // namespace dmf::solvers
