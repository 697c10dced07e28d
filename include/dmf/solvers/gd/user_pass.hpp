// One user's part of a full-batch gd epoch in one pass over its ratings
// (docs/design.md §4, gd): each rating's residual e = r − r̂ with the rows the
// step starts from, Σ e², the user's sums (Σ −2e q_i, Σ −2e, n) and each
// item's terms (−2e p_u, −2e) added to that item's sums, all in rating order,
// so the sums are the bits of add_rating_terms rating by rating (§5).
//
// The residual's dot product is a chain of fused multiply-adds in f order,
//   dot ← fma(p_f, q_f, dot),  e = r − (((μ + b_u) + b_i) + dot),
// written out (residual_fused) rather than left to the compiler, which fuses
// `dot += p[f] * q[f]` or not depending on how it vectorizes the loop: the
// pass computes 16 ratings' chains at once, one lane each, and must give the
// bits of the one-rating form. The terms' products (a float times −2 times a
// float) are exact in double, so only their order matters there.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

namespace dmf::solvers {

/// Doubles on 64-byte boundaries (Eigen's widest alignment): a padded row of
/// 8 doubles is then one cache line, never split between two.
using AlignedDoubles = std::vector<double, Eigen::aligned_allocator<double>>;
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

/// Calls body(std::integral_constant<std::size_t, K>) with K = k for the
/// ranks people use on small tables (8, 10, 16, 20, 32), else K = 0 (k at
/// run time): a kernel compiled for its K keeps a row's sums in registers
/// (jobs/bench/dense.sh at k = 10: 0.56 -> 0.44 s CPU); wide rows gain
/// nothing from it.
template <class Body>
void with_small_rank(std::size_t k, Body&& body) {
  switch (k) {
    case 8:
      return body(std::integral_constant<std::size_t, 8>{});
    case 10:
      return body(std::integral_constant<std::size_t, 10>{});
    case 16:
      return body(std::integral_constant<std::size_t, 16>{});
    case 20:
      return body(std::integral_constant<std::size_t, 20>{});
    case 32:
      return body(std::integral_constant<std::size_t, 32>{});
    default:
      return body(std::integral_constant<std::size_t, 0>{});
  }
}

/// r − (((μ + b_u) + b_i) + p · q), the dot product fused multiply-adds in f
/// order: the residual of every gd path.
[[nodiscard]] inline float residual_fused(float rating, float mu, float user_bias, float item_bias,
                                          std::span<const float> p,
                                          std::span<const float> q) noexcept {
  float dot = 0.0F;
  for (std::size_t f = 0; f < p.size(); ++f) dot = std::fma(p[f], q[f], dot);
  return rating - (((mu + user_bias) + item_bias) + dot);
}

/// The item side as the pass reads it, rebuilt from the item rows whenever
/// they move: the factors transposed (k × items, so that 16 consecutive
/// items' f-th factors are one load), and each row followed by 1.0 (the
/// lane of the bias term) and zeros to a multiple of 8 lanes, in float, and
/// in double too when that fits in kDoubleRowsBytes. The terms read the
/// rows in double: converting 8 lanes takes the ports of the multiply-adds
/// (dense.sh: 116 -> 133 us per epoch without the double rows), but on 10^4
/// items rows in double no longer fit the cache beside the item sums
/// (10M-shaped data, full batch: 0.51 s per epoch with them, 0.36 s without;
/// a float row of k ≤ 14 is one cache line).
struct ItemTable {
  /// The largest table of rows in double kept beside the float one.
  static constexpr double kDoubleRowsBytes = 256.0 * 1024.0;

  std::size_t k = 0;
  std::size_t items = 0;
  std::size_t width = 0;          // lanes of a padded row: k + 2 rounded up to 8
  std::vector<float> transposed;  // k × items
  AlignedFloats padded;           // items × width
  AlignedDoubles double_rows;     // the same in double, or empty
  std::span<const float> bias;    // items

  /// Lanes of a padded row of rank k.
  [[nodiscard]] static constexpr std::size_t padded_width(std::size_t k) noexcept {
    return (k + 2 + 7) / 8 * 8;
  }
  /// Fills the table from item rows `factors` (items × k) and `bias` (which
  /// must outlive its use).
  void assign(std::size_t rank, std::span<const float> factors, std::span<const float> bias_in);
};

/// One user's ratings and row, and where its terms go.
struct UserPassRow {
  float mu = 0.0F;
  float bias = 0.0F;                     // b_u
  std::span<const float> p;              // the user's factors (k)
  std::span<const std::uint32_t> items;  // its ratings' items, ascending
  std::span<const float> values;         // and ratings
};

/// The pass's work arrays, reused from user to user.
struct UserPassScratch {
  std::vector<double> steps;  // the user's −2e, by rating
  std::vector<double> sums;   // its sums and row, padded, when k has no fixed width
  std::vector<double> row;
};

/// Users whose terms one pass sums together (users_pass).
inline constexpr std::size_t kUserPassGroup = 4;

/// The pass (above) over 1 to kUserPassGroup users with the same items (a
/// dense table's users, say), in order: each user's sums (Σ −2e q, Σ −2e,
/// n: k + 2 values) into user_acc (k + 2 per user), Σ e² (in double,
/// rating order) into squares (one per user), and each rating's item terms
/// added to the row of `item_acc` (ItemTable::width lanes per row: Σ −2e p,
/// Σ −2e in lane k; lanes from k + 1 on untouched) at slot[item], the
/// users' terms in their order. The same bits as one user at a time; a
/// group only runs their independent sums side by side.
void users_pass(const ItemTable& table, std::span<const UserPassRow> rows,
                const std::uint32_t* slot, double* item_acc, std::span<double> user_acc,
                std::span<double> squares, UserPassScratch& scratch);

}  // namespace dmf::solvers
