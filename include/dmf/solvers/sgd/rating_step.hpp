// One step of per-rating SGD on the biased model (docs/design.md §4, sgd).
//
// The objective L of docs/design.md §2 is a sum over ratings once each row's
// penalty is spread over its ratings: with c_u = λ_u w_u / n_u and
// c_i = λ_i w_i / n_i (n the row's rating count over all ranks, w = n under
// --reg-weighting count, so c = λ; w = 1 under uniform, so c = λ / n),
//   L = Σ_(u,i) [ e² + c_u (‖p_u‖² + b_u²) + c_i (‖q_i‖² + b_i²) ],
//   e = r − (μ + b_u + b_i + p_u · q_i).
// A step on one rating follows the gradient of its term, halved (the 2 is
// the learning rate's), every part at the values before the step:
//   g(p_u) = −e q_i + c_u p_u        g(q_i) = −e p_u + c_i q_i
//   g(b_u) = −e + c_u b_u            g(b_i) = −e + c_i b_i
// and each parameter w moves by its own rule:
//   sgd          w ← w − η g
//   adagrad      w ← w − η g / (√s + ε);  s ← s + g²      (s per coordinate)
//   adagrad-row  w ← w − η g / (√s + ε);  s ← s + ‖g‖² / k
//                (one s per factor row: one square root per row and step
//                instead of k; a bias is a row of one)
// As in LIBMF, the sums start at kInitialSum = 1 and a step is scaled by
// the sum of the steps before it: the first steps are damped instead of
// being η per coordinate whatever the gradient (with s from 0 and the step's
// own g² added first), and the gradient, its square and the move are one
// pass over the row.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>

#include "dmf/core/enum_names.hpp"

namespace dmf::solvers::sgd {

/// How a parameter moves along its gradient; the names are --optimizer's.
enum class StepRule { kAdagrad, kAdagradRow, kSgd };

inline std::span<const EnumName<StepRule>> enum_names(StepRule /*tag*/) {
  static constexpr std::array<EnumName<StepRule>, 3> kNames{{
      {StepRule::kAdagradRow, "adagrad-row"},  // the default first, as in --help
      {StepRule::kAdagrad, "adagrad"},
      {StepRule::kSgd, "sgd"},
  }};
  return kNames;
}

/// The value every adagrad sum (s above) starts from.
inline constexpr float kInitialSum = 1.0F;

/// State arrays (s above) a rule keeps: one for the factors, one for the
/// biases, or none.
[[nodiscard]] constexpr int state_slots(StepRule rule) noexcept {
  return rule == StepRule::kSgd ? 0 : 1;
}

/// Sums a rule keeps per factor row of k entries.
[[nodiscard]] constexpr int factor_state_width(StepRule rule, int k) noexcept {
  switch (rule) {
    case StepRule::kAdagrad:
      return k;
    case StepRule::kAdagradRow:
      return 1;
    case StepRule::kSgd:
      return 0;
  }
  return 0;
}

/// What every step of a sub-epoch shares.
struct StepSettings {
  StepRule rule = StepRule::kAdagrad;
  float lr = 0.0F;  // η
  float eps = 0.0F;
  float mu = 0.0F;
  bool user_bias = true;
  bool item_bias = true;
};

/// One parameter row as a step sees it: k factors, the bias, and their
/// adagrad sums (factor_state_width of them for the factors; null under
/// sgd), and the row's c.
struct StepRow {
  float* factors;
  float* bias;
  float* factor_state;
  float* bias_state;
  float c;
};

namespace detail {

// The roundings are spelled out: each a·b + c is one fused multiply-add, so
// that the compiler's choice of which products to fuse cannot change a bit
// (the tests replay these steps exactly).
// A bias is a row of one: its adagrad-row step is adagrad's.
inline float move(StepRule rule, float w, float g, float* s, float lr, float eps) noexcept {
  if (rule == StepRule::kSgd) return std::fma(-lr, g, w);
  const float moved = w - lr * g / (std::sqrt(*s) + eps);
  *s = std::fma(g, g, *s);
  return moved;
}

}  // namespace detail

/// p · q over k entries, summed in 8 interleaved partial sums (entry f into
/// sum f mod 8, each one fused multiply-add), then the sums pairwise: a
/// fixed order the compiler can run 8 lanes at a time, where one running
/// sum would wait on every addition. The lanes are one vector only when
/// asked (`omp simd`): GCC left them 8 scalar chains, and the pass of the
/// objective, dot products alone, spent half an update pass's time.
inline float dot(const float* p, const float* q, int k) noexcept {
  constexpr int kLanes = 8;
  float acc[kLanes] = {};
  int f = 0;
  for (; f + kLanes <= k; f += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; ++j) acc[j] = std::fma(p[f + j], q[f + j], acc[j]);
  }
  for (int j = 0; f + j < k; ++j) acc[j] = std::fma(p[f + j], q[f + j], acc[j]);
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

namespace detail {

/// adagrad-row's factor step, one pass over the rows: each row moves by
/// its step size from the sums before, while both gradients' squared norms
/// are summed (like dot); then the sums grow by their means.
inline void row_adagrad_factors(const StepSettings& s, float minus_e, const StepRow& u,
                                const StepRow& i, int k) noexcept {
  float* __restrict p = u.factors;
  float* __restrict q = i.factors;
  const float step_p = s.lr / (std::sqrt(*u.factor_state) + s.eps);
  const float step_q = s.lr / (std::sqrt(*i.factor_state) + s.eps);
  constexpr int kLanes = 8;
  float acc_p[kLanes] = {};
  float acc_q[kLanes] = {};
  // Entry f into partial sum f mod 8, as in dot.
  const auto step = [&](int f, int j) {
    const float gp = std::fma(u.c, p[f], minus_e * q[f]);
    const float gq = std::fma(i.c, q[f], minus_e * p[f]);
    acc_p[j] = std::fma(gp, gp, acc_p[j]);
    acc_q[j] = std::fma(gq, gq, acc_q[j]);
    p[f] = std::fma(-step_p, gp, p[f]);
    q[f] = std::fma(-step_q, gq, q[f]);
  };
  int f = 0;
  for (; f + kLanes <= k; f += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; ++j) step(f + j, j);
  }
  for (int j = 0; f + j < k; ++j) step(f + j, j);
  const auto lanes = [](const float* a) {
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
  };
  const auto kf = static_cast<float>(k);
  *u.factor_state += lanes(acc_p) / kf;
  *i.factor_state += lanes(acc_q) / kf;
}

}  // namespace detail

/// The step of one rating `r` on user row `u` and item row `i`, k factors
/// each. Returns e, the residual before the step.
inline float rating_step(const StepSettings& s, float r, const StepRow& u, const StepRow& i,
                         int k) noexcept {
  const float e = r - (s.mu + *u.bias + *i.bias + dot(u.factors, i.factors, k));
  const float minus_e = -e;
  if (s.user_bias) {
    *u.bias =
        detail::move(s.rule, *u.bias, std::fma(u.c, *u.bias, minus_e), u.bias_state, s.lr, s.eps);
  }
  if (s.item_bias) {
    *i.bias =
        detail::move(s.rule, *i.bias, std::fma(i.c, *i.bias, minus_e), i.bias_state, s.lr, s.eps);
  }
  if (s.rule == StepRule::kAdagradRow) {
    detail::row_adagrad_factors(s, minus_e, u, i, k);
    return e;
  }
  float* __restrict p = u.factors;
  float* __restrict q = i.factors;
  if (s.rule == StepRule::kSgd) {
    for (int f = 0; f < k; ++f) {
      const float gp = std::fma(u.c, p[f], minus_e * q[f]);
      const float gq = std::fma(i.c, q[f], minus_e * p[f]);
      p[f] = std::fma(-s.lr, gp, p[f]);
      q[f] = std::fma(-s.lr, gq, q[f]);
    }
    return e;
  }
  float* __restrict sp = u.factor_state;
  float* __restrict sq = i.factor_state;
  for (int f = 0; f < k; ++f) {
    const float gp = std::fma(u.c, p[f], minus_e * q[f]);
    const float gq = std::fma(i.c, q[f], minus_e * p[f]);
    p[f] -= s.lr * gp / (std::sqrt(sp[f]) + s.eps);
    q[f] -= s.lr * gq / (std::sqrt(sq[f]) + s.eps);
    sp[f] = std::fma(gp, gp, sp[f]);
    sq[f] = std::fma(gq, gq, sq[f]);
  }
  return e;
}

}  // namespace dmf::solvers::sgd
