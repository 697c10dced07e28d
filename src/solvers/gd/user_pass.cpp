#include "dmf/solvers/gd/user_pass.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace dmf::solvers {
namespace {

/// Ratings whose residuals the pass computes at once, one per lane.
constexpr std::size_t kResidualLanes = 16;
using ResidualLanes = float __attribute__((vector_size(kResidualLanes * sizeof(float))));
/// Lanes of the terms' sums: a padded row is whole vectors of these.
constexpr std::size_t kSumLanes = 8;
using SumLanes = double __attribute__((vector_size(kSumLanes * sizeof(double))));

ResidualLanes load_lanes(const float* x) noexcept {
  ResidualLanes v;
  std::memcpy(&v, x, sizeof v);
  return v;
}

SumLanes load_sums(const double* x) noexcept {
  SumLanes v;
  std::memcpy(&v, x, sizeof v);
  return v;
}

void store_sums(double* x, SumLanes v) noexcept { std::memcpy(x, &v, sizeof v); }

/// fma(a, b, c) in every lane: the instruction where there is one; else
/// std::fma lane by lane (the same bits, slower). The vector operators of
/// the compiler would fuse a * b + c only when it optimizes, and the lanes
/// must give the bits of residual_fused.
ResidualLanes fused_multiply_add(ResidualLanes a, ResidualLanes b, ResidualLanes c) noexcept {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#else
  ResidualLanes out;
  for (std::size_t l = 0; l < kResidualLanes; ++l) out[l] = std::fma(a[l], b[l], c[l]);
  return out;
#endif
}

/// x in every lane (written as {x, x, ...}, which the compiler makes one
/// broadcast; a loop over the lanes it filled one masked lane at a time).
ResidualLanes broadcast(float x) noexcept {
  return [x]<std::size_t... L>(std::index_sequence<L...>) {
    return ResidualLanes{(static_cast<void>(L), x)...};
  }
  (std::make_index_sequence<kResidualLanes>{});
}

/// Whether the kResidualLanes items from `items` are consecutive: with
/// strictly ascending items (UserPassRow), whether the last is the first +
/// kResidualLanes − 1. Their transposed factors are then one load per f.
bool consecutive(const std::uint32_t* items) noexcept {
  return items[kResidualLanes - 1] - items[0] == kResidualLanes - 1;
}

/// Every rating's residual into `e`, kResidualLanes at a time where their
/// items are consecutive (each lane the chain of residual_fused, so the same
/// bits), one at a time elsewhere. A row of n ≥ kResidualLanes ends with the
/// last kResidualLanes ratings, overlapping the chunk before (the same values
/// again). K is k when fixed at compile time (the broadcasts of p then stay
/// in registers), else 0.
template <std::size_t K>
void residuals_of(const ItemTable& table, const UserPassRow& row, float* e) noexcept {
  const std::size_t n = row.items.size();
  const std::size_t k = K == 0 ? table.k : K;
  const std::size_t stride = table.items;
  const float* const transposed = table.transposed.data();
  const float* const item_bias = table.bias.data();
  const float* const values = row.values.data();
  const std::uint32_t* const items = row.items.data();
  const float* const p = row.p.data();
  const float base = row.mu + row.bias;
  const auto one = [&](std::size_t j) {
    const std::uint32_t i = items[j];
    e[j] = residual_fused(values[j], row.mu, row.bias, item_bias[i], row.p,
                          table.factors.subspan(std::size_t{i} * k, k));
  };
  const auto chunk = [&](std::size_t j) {
    if (!consecutive(items + j)) {
      for (std::size_t l = 0; l < kResidualLanes; ++l) one(j + l);
      return;
    }
    const float* const column = transposed + items[j];
    ResidualLanes dot{};
    for (std::size_t f = 0; f < k; ++f) {
      dot = fused_multiply_add(broadcast(p[f]), load_lanes(column + f * stride), dot);
    }
    const ResidualLanes out =
        load_lanes(values + j) - ((base + load_lanes(item_bias + items[j])) + dot);
    std::memcpy(e + j, &out, sizeof out);
  };
  if (n < kResidualLanes) {
    for (std::size_t j = 0; j < n; ++j) one(j);
    return;
  }
  std::size_t j = 0;
  for (; j + kResidualLanes <= n; j += kResidualLanes) chunk(j);
  if (j < n) chunk(n - kResidualLanes);
}

/// The terms of every rating from its residual, in rating order: the
/// user's Σ −2e q and Σ −2e into user_acc[0..k], each item's into its row of
/// `item_acc`; returns Σ e². V is the padded row's vectors when fixed at
/// compile time (the sums then stay in registers), else 0 and the sums and
/// the user's padded row are in `sums_memory` / `row_memory` (table.width).
template <std::size_t V>
double add_terms(const ItemTable& table, const UserPassRow& row, const float* e,
                 const std::uint32_t* slot, double* item_acc, double* user_acc, double* sums_memory,
                 double* row_memory) noexcept {
  const std::size_t vectors = V == 0 ? table.width / kSumLanes : V;
  const std::size_t width = vectors * kSumLanes;
  const std::size_t k = table.k;
  std::array<double, V == 0 ? 1 : V * kSumLanes> sums_local{}, row_local{};
  double* const sums = V == 0 ? sums_memory : sums_local.data();
  double* const p = V == 0 ? row_memory : row_local.data();
  std::fill(sums, sums + width, 0.0);
  std::fill(p, p + width, 0.0);
  for (std::size_t f = 0; f < k; ++f) p[f] = static_cast<double>(row.p[f]);
  p[k] = 1.0;  // the bias term −2e · 1
  double squares = 0.0;
  const std::size_t n = row.items.size();
  const std::uint32_t* const items = row.items.data();
  const double* const padded = table.padded.data();
  for (std::size_t j = 0; j < n; ++j) {
    const auto ej = static_cast<double>(e[j]);
    squares += ej * ej;
    const double m = -2.0 * ej;
    const std::uint32_t i = items[j];
    const double* const q = padded + std::size_t{i} * width;
    double* const item = item_acc + std::size_t{slot[i]} * width;
    for (std::size_t v = 0; v < vectors; ++v) {
      const std::size_t at = v * kSumLanes;
      store_sums(sums + at, load_sums(sums + at) + m * load_sums(q + at));
      store_sums(item + at, load_sums(item + at) + m * load_sums(p + at));
    }
  }
  std::copy(sums, sums + k + 1, user_acc);
  return squares;
}

/// Calls body(std::integral_constant<std::size_t, V>) with V the padded
/// row's vectors for the ranks up to 38 (k = 8, 10, 16, 20, 32 among them:
/// the sums then stay in registers), else V = 0 (at run time).
template <class Body>
double with_sum_vectors(std::size_t width, Body&& body) {
  switch (width / kSumLanes) {
    case 1:
      return body(std::integral_constant<std::size_t, 1>{});
    case 2:
      return body(std::integral_constant<std::size_t, 2>{});
    case 3:
      return body(std::integral_constant<std::size_t, 3>{});
    case 4:
      return body(std::integral_constant<std::size_t, 4>{});
    case 5:
      return body(std::integral_constant<std::size_t, 5>{});
    default:
      return body(std::integral_constant<std::size_t, 0>{});
  }
}

/// Calls body(std::integral_constant<std::size_t, K>) with K = k for the
/// ranks people use on small tables (8, 10, 16, 20, 32), else K = 0.
template <class Body>
void with_residual_rank(std::size_t k, Body&& body) {
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

}  // namespace

void ItemTable::assign(std::size_t rank, std::span<const float> factors_in,
                       std::span<const float> bias_in) {
  k = rank;
  items = bias_in.size();
  width = padded_width(k);
  factors = factors_in;
  bias = bias_in;
  transposed.resize(k * items);
  padded.assign(items * width, 0.0);
  for (std::size_t i = 0; i < items; ++i) {
    double* out = padded.data() + i * width;
    for (std::size_t f = 0; f < k; ++f) {
      const float q = factors[i * k + f];
      transposed[f * items + i] = q;
      out[f] = static_cast<double>(q);
    }
    out[k] = 1.0;  // the bias term −2e · 1
  }
}

double user_pass(const ItemTable& table, const UserPassRow& row, const std::uint32_t* slot,
                 double* item_acc, std::span<double> user_acc, UserPassScratch& scratch) {
  const std::size_t n = row.items.size();
  const std::size_t k = table.k;
  if (scratch.residuals.size() < n) scratch.residuals.resize(n);
  scratch.sums.resize(table.width);
  scratch.row.resize(table.width);
  with_residual_rank(k, [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    residuals_of<K>(table, row, scratch.residuals.data());
  });
  const double squares =
      with_sum_vectors(table.width, [&]<std::size_t V>(std::integral_constant<std::size_t, V>) {
        return add_terms<V>(table, row, scratch.residuals.data(), slot, item_acc, user_acc.data(),
                            scratch.sums.data(), scratch.row.data());
      });
  user_acc[k + 1] = static_cast<double>(n);  // Σ 1: exact
  return squares;
}

}  // namespace dmf::solvers
