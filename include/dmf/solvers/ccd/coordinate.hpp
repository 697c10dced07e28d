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
// copy of its own), and each update is one correctly rounded operation: an
// explicit fused multiply-add std::fma(±p, q, e) (one rounding of the exact
// e ± p·q, whether the CPU or the C library computes it; the compiler
// neither splits it nor contracts it differently in two places), or
// e ± (b_u + b_i), which has no product to contract. p·q = q·p and
// b_u + b_i = b_i + b_u exactly, so the order in which a side passes the
// pair does not matter either. The sums of a row's closed form are in
// double, where a product of two floats is exact, so contraction cannot
// change them either.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dmf::solvers::ccd {

/// e + p·q: the residual with dimension t's product added back, rounded
/// once (an explicit fused multiply-add, never split or contracted
/// differently by the compiler).
[[nodiscard]] inline float add_product(float e, float p, float q) noexcept {
  return std::fma(p, q, e);
}
/// e − p·q: the residual with the new product taken out.
[[nodiscard]] inline float remove_product(float e, float p, float q) noexcept {
  return std::fma(-p, q, e);
}
/// e + (b_u + b_i): the residual with the biases added back.
[[nodiscard]] inline float add_biases(float e, float bu, float bi) noexcept {
  return e + (bu + bi);
}
/// e − (b_u + b_i).
[[nodiscard]] inline float remove_biases(float e, float bu, float bi) noexcept {
  return e - (bu + bi);
}

/// The residual r − μ − (b_u + b_i) − p·q computed from the model. The dot
/// product is summed in double in four interleaved partial sums (factor f
/// into sum f mod 4, added in the order 0+1, 2+3, then both): a fixed order,
/// and four times shorter than one chain of dependent additions.
[[nodiscard]] inline float fresh_residual(float r, double mu, float bu, float bi,
                                          std::span<const float> p,
                                          std::span<const float> q) noexcept {
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  const std::size_t n = p.size();
  std::size_t f = 0;
  for (; f + 4 <= n; f += 4) {
    for (std::size_t l = 0; l < 4; ++l) sum[l] += static_cast<double>(p[f + l]) * q[f + l];
  }
  for (; f < n; ++f) sum[f % 4] += static_cast<double>(p[f]) * q[f];
  const double dot = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  return static_cast<float>(static_cast<double>(r) - mu -
                            (static_cast<double>(bu) + static_cast<double>(bi)) - dot);
}

/// The minimizer x = numerator / (ridge + denominator) of
/// Σ (target − x·c)² + ridge·x²; 0 when that is flat (no ratings, λ = 0).
[[nodiscard]] inline float solve_coordinate(double numerator, double denominator,
                                            double ridge) noexcept {
  const double d = ridge + denominator;
  return d > 0.0 ? static_cast<float>(numerator / d) : 0.0F;
}

/// Where one pass over a row's ratings reads and writes: per rating its
/// residual and the slot of its other row; per slot the other side's value
/// of the coordinate taken out (`previous`), of the one added back
/// (`start`) and the one solved against (`current`).
struct RowPass {
  std::span<float> residuals;
  std::span<const std::uint32_t> slots;
  const float* previous = nullptr;
  const float* start = nullptr;
  const float* current = nullptr;
};

/// What a pass does to one row: takes a coordinate's product out (own value
/// `removed_value`), adds this one's back (own value `value`), then returns
/// the closed-form value of this coordinate given `current`:
///   a latent dimension: x = Σ ê c / (ridge + Σ c²),
///   a bias:             x = Σ (ê − c) / (ridge + n),
/// ê the residuals with the coordinate added back, c the other side's value.
/// Sums in double, in the ratings' order, over two interleaved partial sums.
struct RowStep {
  bool remove = false;
  bool remove_bias = false;  // the coordinate taken out is the biases
  float removed_value = 0.0F;
  bool add_back = false;
  bool bias = false;  // this coordinate is the biases
  float value = 0.0F;
  bool solve = true;  // false: only the residuals change
  double ridge = 0.0;
};

namespace detail {

/// pass_row for a latent dimension (kBias false) or the biases.
template <bool kBias>
[[nodiscard]] float pass_row_as(const RowPass& row, const RowStep& step) noexcept {
  // The residual of rating j after the pass, stored back.
  const auto update = [&](std::size_t j) noexcept {
    const std::uint32_t s = row.slots[j];
    float e = row.residuals[j];
    if (step.remove) {
      e = step.remove_bias ? remove_biases(e, step.removed_value, row.previous[s])
                           : remove_product(e, step.removed_value, row.previous[s]);
    }
    if (step.add_back) {
      e = kBias ? add_biases(e, step.value, row.start[s])
                : add_product(e, step.value, row.start[s]);
    }
    row.residuals[j] = e;
    return e;
  };
  const std::size_t n = row.slots.size();
  if (!step.solve) {
    for (std::size_t j = 0; j < n; ++j) static_cast<void>(update(j));
    return step.value;
  }
  // Two partial sums, even and odd ratings, each in the ratings' order.
  double num0 = 0.0, num1 = 0.0, den0 = 0.0, den1 = 0.0;
  const auto term = [](double& num, double& den, float e, float c) noexcept {
    if constexpr (kBias) {
      num += static_cast<double>(e) - static_cast<double>(c);
      den += 1.0;
    } else {
      num += static_cast<double>(e) * c;
      den += static_cast<double>(c) * c;
    }
  };
  std::size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const float e0 = update(j);
    const float e1 = update(j + 1);
    term(num0, den0, e0, row.current[row.slots[j]]);
    term(num1, den1, e1, row.current[row.slots[j + 1]]);
  }
  if (j < n) term(num0, den0, update(j), row.current[row.slots[j]]);
  return solve_coordinate(num0 + num1, den0 + den1, step.ridge);
}

}  // namespace detail

[[nodiscard]] inline float pass_row(const RowPass& row, const RowStep& step) noexcept {
  return step.bias ? detail::pass_row_as<true>(row, step) : detail::pass_row_as<false>(row, step);
}

}  // namespace dmf::solvers::ccd
