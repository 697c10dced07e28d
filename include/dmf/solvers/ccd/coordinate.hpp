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

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

namespace detail {

/// Four doubles, the four partial sums of a dot product (GCC's and Clang's
/// vector types: one loop for every instruction set, which written with
/// arrays the compiler turned into gathers across the rows).
using Double4 = double __attribute__((vector_size(32)));
using Float4 = float __attribute__((vector_size(16)));

/// x[0..3] in double.
[[nodiscard]] inline Double4 widened(const float* x) noexcept {
  Float4 v;
  std::memcpy(&v, x, sizeof v);
  return __builtin_convertvector(v, Double4);
}

}  // namespace detail

/// The dot products p·q_r of one row p with kCount others at once, each
/// summed in double in four interleaved partial sums (factor f into sum
/// f mod 4, added in the order 0+1, 2+3, then both): a fixed order, and four
/// times shorter than one chain of dependent additions. The kCount products
/// are independent chains the CPU runs side by side (one product alone waits
/// on its own additions); each is bit for bit what it is alone.
template <std::size_t kCount>
inline void dot_products(std::span<const float> p, const float* const (&q)[kCount],
                         double (&out)[kCount]) noexcept {
  detail::Double4 sum[kCount] = {};
  const std::size_t n = p.size();
  std::size_t f = 0;
  for (; f + 4 <= n; f += 4) {
    const detail::Double4 own = detail::widened(p.data() + f);
    for (std::size_t r = 0; r < kCount; ++r) sum[r] += own * detail::widened(q[r] + f);
  }
  for (; f < n; ++f) {
    for (std::size_t r = 0; r < kCount; ++r) {
      sum[r][f % 4] += static_cast<double>(p[f]) * static_cast<double>(q[r][f]);
    }
  }
  for (std::size_t r = 0; r < kCount; ++r) {
    out[r] = (sum[r][0] + sum[r][1]) + (sum[r][2] + sum[r][3]);
  }
}

/// r − μ − (b_u + b_i) − dot, rounded once to float.
[[nodiscard]] inline float residual_of(float r, double mu, float bu, float bi,
                                       double dot) noexcept {
  return static_cast<float>(static_cast<double>(r) - mu -
                            (static_cast<double>(bu) + static_cast<double>(bi)) - dot);
}

/// The residual r − μ − (b_u + b_i) − p·q computed from the model, the dot
/// product as dot_products sums it.
[[nodiscard]] inline float fresh_residual(float r, double mu, float bu, float bi,
                                          std::span<const float> p,
                                          std::span<const float> q) noexcept {
  const float* const others[1] = {q.data()};
  double dot[1];
  dot_products(p, others, dot);
  return residual_of(r, mu, bu, bi, dot[0]);
}

/// Ratings whose fresh residuals fresh_residuals_of_row computes together.
inline constexpr std::size_t kFreshGroup = 8;

/// The fresh residuals of one row's ratings: own row `own` (its bias
/// `own_bias`) against, for rating j, the other side's row at
/// `others + slots[j] * width` (its k factors, then its bias). Each is
/// fresh_residual's value bit for bit; they are computed kFreshGroup at a
/// time (a short last group repeats its last rating), and the next group's
/// rows are fetched ahead, as a rating's other row is rarely in cache.
inline void fresh_residuals_of_row(std::span<const float> values,
                                   std::span<const std::uint32_t> slots, double mu, float own_bias,
                                   std::span<const float> own, const float* others,
                                   std::size_t width, std::span<float> out) noexcept {
  const std::size_t n = values.size();
  const std::size_t k = own.size();
  const auto row_of = [&](std::size_t j) { return others + std::size_t{slots[j]} * width; };
  for (std::size_t j = 0; j < n; j += kFreshGroup) {
    for (std::size_t a = j + kFreshGroup; a < std::min(n, j + 2 * kFreshGroup); ++a) {
      const char* bytes = reinterpret_cast<const char*>(row_of(a));
      for (std::size_t b = 0; b < width * sizeof(float); b += 64) __builtin_prefetch(bytes + b);
      __builtin_prefetch(bytes + width * sizeof(float) - 1);
    }
    const float* q[kFreshGroup];
    for (std::size_t g = 0; g < kFreshGroup; ++g) q[g] = row_of(std::min(j + g, n - 1));
    double dot[kFreshGroup];
    dot_products(own, q, dot);
    for (std::size_t g = 0; g < kFreshGroup && j + g < n; ++g) {
      out[j + g] = residual_of(values[j + g], mu, own_bias, q[g][k], dot[g]);
    }
  }
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

/// What a pass takes out of the residuals first.
enum class Removal { kNothing, kProduct, kBiases };

/// pass_row with the step's choices fixed at compile time: the loop over the
/// ratings has no branch, and the step's values are held in registers (the
/// residuals are floats too, so the compiler would otherwise read them again
/// after every store).
template <Removal kRemove, bool kAddBack, bool kBias, bool kSolve>
[[nodiscard]] float pass_row_as(const RowPass& row, const RowStep& step) noexcept {
  float* const residuals = row.residuals.data();
  const std::uint32_t* const slots = row.slots.data();
  const float* const previous = row.previous;
  const float* const start = row.start;
  const float* const current = row.current;
  const float removed_value = step.removed_value;
  const float value = step.value;
  // The residual of rating j after the pass, stored back.
  const auto update = [=](std::size_t j) noexcept {
    const std::uint32_t s = slots[j];
    float e = residuals[j];
    if constexpr (kRemove == Removal::kBiases) e = remove_biases(e, removed_value, previous[s]);
    if constexpr (kRemove == Removal::kProduct) e = remove_product(e, removed_value, previous[s]);
    if constexpr (kAddBack) {
      e = kBias ? add_biases(e, value, start[s]) : add_product(e, value, start[s]);
    }
    residuals[j] = e;
    return e;
  };
  const std::size_t n = row.slots.size();
  if constexpr (!kSolve) {
    for (std::size_t j = 0; j < n; ++j) static_cast<void>(update(j));
    return value;
  } else {
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
      term(num0, den0, e0, current[slots[j]]);
      term(num1, den1, e1, current[slots[j + 1]]);
    }
    if (j < n) term(num0, den0, update(j), current[slots[j]]);
    return solve_coordinate(num0 + num1, den0 + den1, step.ridge);
  }
}

template <Removal kRemove, bool kAddBack, bool kBias>
[[nodiscard]] float pass_row_solving(const RowPass& row, const RowStep& step) noexcept {
  return step.solve ? pass_row_as<kRemove, kAddBack, kBias, true>(row, step)
                    : pass_row_as<kRemove, kAddBack, kBias, false>(row, step);
}

template <Removal kRemove>
[[nodiscard]] float pass_row_removing(const RowPass& row, const RowStep& step) noexcept {
  if (step.add_back) {
    return step.bias ? pass_row_solving<kRemove, true, true>(row, step)
                     : pass_row_solving<kRemove, true, false>(row, step);
  }
  return step.bias ? pass_row_solving<kRemove, false, true>(row, step)
                   : pass_row_solving<kRemove, false, false>(row, step);
}

}  // namespace detail

[[nodiscard]] inline float pass_row(const RowPass& row, const RowStep& step) noexcept {
  using detail::Removal;
  if (!step.remove) return detail::pass_row_removing<Removal::kNothing>(row, step);
  return step.remove_bias ? detail::pass_row_removing<Removal::kBiases>(row, step)
                          : detail::pass_row_removing<Removal::kProduct>(row, step);
}

}  // namespace dmf::solvers::ccd
