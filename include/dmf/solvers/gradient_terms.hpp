// The pieces of the objective's gradient (docs/design.md §2), shared by the gd
// solver (float rows) and `dmf gradcheck` (double rows), so the check tests
// the code that trains.
//
// For a row w (factors, bias b) with ratings R in a step, residuals
// e = r − r̂ and other-side rows x:
//   acc  = (Σ_R −2 e x, Σ_R −2 e, |R|)                    (width k + 2)
//   g_w  = acc_x / |R| + reg · w,   g_b = acc_b / |R| + reg · b
// where reg = 2 λ w_row / n_row. At full batch |R| = n_row, and n_row · g is
// exactly ∂L/∂w: the step is the gradient scaled by the row's rating count.
#pragma once

#include <cstddef>
#include <span>

namespace dmf::solvers {

/// r − (μ + b_u + b_i + p · q), with the dot product in T.
template <class T>
[[nodiscard]] inline T residual(T rating, T mu, T user_bias, T item_bias, std::span<const T> p,
                                std::span<const T> q) noexcept {
  T dot = 0;
  for (std::size_t f = 0; f < p.size(); ++f) dot += p[f] * q[f];
  return rating - (mu + user_bias + item_bias + dot);
}

/// Adds one rating's terms to `acc` (k + 2 entries): −2 e x, −2 e, 1.
template <class T>
inline void add_rating_terms(std::span<double> acc, double e, std::span<const T> other) noexcept {
  const std::size_t k = other.size();
  const double m = -2.0 * e;
  for (std::size_t f = 0; f < k; ++f) acc[f] += m * static_cast<double>(other[f]);
  acc[k] += m;
  acc[k + 1] += 1.0;
}

/// The scaled gradient of a row from its summed terms: `g` (k entries) and
/// the bias's `g_bias`. `acc` must count at least one rating.
template <class T>
inline void row_gradient(std::span<const double> acc, double reg, std::span<const T> w, T bias,
                         std::span<double> g, double& g_bias) noexcept {
  const std::size_t k = w.size();
  const double inv = 1.0 / acc[k + 1];
  for (std::size_t f = 0; f < k; ++f) g[f] = acc[f] * inv + reg * static_cast<double>(w[f]);
  g_bias = acc[k] * inv + reg * static_cast<double>(bias);
}

}  // namespace dmf::solvers
