// The CCD++ kernels (docs/design.md §4): the residual arithmetic and the
// closed-form update of one coordinate of one row. Pure functions of their
// inputs, shared by both copies of the residuals (the user block's and the
// item block's), which must stay bit-identical.
//
// The residual of a rating is e = r − μ − b_u − b_i − p_u·q_i. CCD++ moves
// one coordinate at a time: for latent dimension t it adds back p_ut q_it,
// solves the rank-one problem in (p_·t, q_·t), and subtracts the new
// product; the biases are a coordinate pair of their own (b_u, b_i), added
// back and subtracted as b_u + b_i.
//
// Why both copies agree bit for bit: each is updated by these functions with
// the same operand values (one side's own value, the other side's fetched
// copy of its own). A product of two floats is exact in double, so whether
// the compiler contracts `e + p·q` into a fused multiply-add or not, the
// double result is the same, rounded once to float; p·q = q·p and a + b =
// b + a exactly, so the order in which a side passes the pair does not
// matter either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dmf::solvers::ccd {

/// e + p·q: the residual with dimension t's product added back.
[[nodiscard]] inline float add_product(float e, float p, float q) noexcept {
  return static_cast<float>(static_cast<double>(e) + static_cast<double>(p) * q);
}
/// e − p·q: the residual with the new product taken out.
[[nodiscard]] inline float remove_product(float e, float p, float q) noexcept {
  return static_cast<float>(static_cast<double>(e) - static_cast<double>(p) * q);
}
/// e + (b_u + b_i): the residual with the biases added back.
[[nodiscard]] inline float add_biases(float e, float bu, float bi) noexcept {
  return static_cast<float>(static_cast<double>(e) +
                            (static_cast<double>(bu) + static_cast<double>(bi)));
}
/// e − (b_u + b_i).
[[nodiscard]] inline float remove_biases(float e, float bu, float bi) noexcept {
  return static_cast<float>(static_cast<double>(e) -
                            (static_cast<double>(bu) + static_cast<double>(bi)));
}

/// The residual r − μ − (b_u + b_i) − p·q computed from the model, the dot
/// product summed in double in the order of the factors.
[[nodiscard]] inline float fresh_residual(float r, double mu, float bu, float bi,
                                          std::span<const float> p,
                                          std::span<const float> q) noexcept {
  double dot = 0.0;
  for (std::size_t f = 0; f < p.size(); ++f) dot += static_cast<double>(p[f]) * q[f];
  return static_cast<float>(static_cast<double>(r) - mu -
                            (static_cast<double>(bu) + static_cast<double>(bi)) - dot);
}

/// The two sums a coordinate's closed form needs, over one row's ratings.
struct CoordinateSums {
  double numerator = 0.0;
  double denominator = 0.0;  // without the ridge

  /// The minimizer x = numerator / (ridge + denominator) of
  /// Σ (target − x·c)² + ridge·x²; 0 when that is flat (no ratings, λ = 0).
  [[nodiscard]] float solve(double ridge) const noexcept {
    const double d = ridge + denominator;
    return d > 0.0 ? static_cast<float>(numerator / d) : 0.0F;
  }
};

/// A latent dimension: x = Σ ê c / (λw + Σ c²), ê the residuals with the
/// product added back, c the other side's value of the dimension.
inline void add_factor_term(CoordinateSums& s, float e_hat, float c) noexcept {
  s.numerator += static_cast<double>(e_hat) * c;
  s.denominator += static_cast<double>(c) * c;
}
/// A bias: x = Σ (ê − c) / (λw + n), ê the residuals with both biases added
/// back, c the other side's bias.
inline void add_bias_term(CoordinateSums& s, float e_hat, float c) noexcept {
  s.numerator += static_cast<double>(e_hat) - static_cast<double>(c);
  s.denominator += 1.0;
}

}  // namespace dmf::solvers::ccd
