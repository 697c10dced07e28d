#include "dmf/solvers/gd/user_pass.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include "dmf/core/error.hpp"

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
/// A padded row's floats, 8 at a time.
using SumFloats = float __attribute__((vector_size(kSumLanes * sizeof(float))));
/// The residual lanes in double.
using ResidualDoubles = double __attribute__((vector_size(kResidualLanes * sizeof(double))));

ResidualLanes load_lanes(const float* x) noexcept {
  ResidualLanes v;
  std::memcpy(&v, x, sizeof v);
  return v;
}

/// 8 lanes of a padded row in double (from float: exact).
SumLanes load_row(const float* x) noexcept {
  SumFloats v;
  std::memcpy(&v, x, sizeof v);
  return __builtin_convertvector(v, SumLanes);
}

SumLanes load_sums(const double* x) noexcept {
  SumLanes v;
  std::memcpy(&v, x, sizeof v);
  return v;
}

SumLanes load_row(const double* x) noexcept { return load_sums(x); }

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

/// Every rating's −2e (the factor of its terms, exact in double) of a group
/// of G users with the same items into m[g * n + j] (user g, rating j), its
/// residual e computed kResidualLanes at a time where their items are
/// consecutive (each lane the chain of residual_fused, so the same bits; the
/// G users share each load of the items' factors), one at a time elsewhere.
/// A row of n ≥ kResidualLanes ends with the last kResidualLanes ratings,
/// overlapping the chunk before (the same values again). K is k when fixed
/// at compile time, else 0.
template <std::size_t G, std::size_t K>
void residuals_of(const ItemTable& table, std::span<const UserPassRow> rows, double* m) noexcept {
  const std::size_t n = rows[0].items.size();
  const std::size_t k = K == 0 ? table.k : K;
  const std::size_t stride = table.items;
  const float* const transposed = table.transposed.data();
  const float* const item_bias = table.bias.data();
  const std::uint32_t* const items = rows[0].items.data();
  const auto one = [&](std::size_t g, std::size_t j) {
    const UserPassRow& row = rows[g];
    const std::uint32_t i = items[j];
    m[g * n + j] =
        -2.0 * static_cast<double>(residual_fused(
                   row.values[j], row.mu, row.bias, item_bias[i], row.p,
                   std::span<const float>(table.padded).subspan(std::size_t{i} * table.width, k)));
  };
  const auto chunk = [&](std::size_t j) {
    if (!consecutive(items + j)) {
      for (std::size_t g = 0; g < G; ++g) {
        for (std::size_t l = 0; l < kResidualLanes; ++l) one(g, j + l);
      }
      return;
    }
    const float* const column = transposed + items[j];
    std::array<ResidualLanes, G> dot{};
    for (std::size_t f = 0; f < k; ++f) {
      const ResidualLanes q = load_lanes(column + f * stride);
      for (std::size_t g = 0; g < G; ++g) {
        dot[g] = fused_multiply_add(broadcast(rows[g].p[f]), q, dot[g]);
      }
    }
    const ResidualLanes bias = load_lanes(item_bias + items[j]);
    for (std::size_t g = 0; g < G; ++g) {
      const UserPassRow& row = rows[g];
      const ResidualLanes e =
          load_lanes(row.values.data() + j) - (((row.mu + row.bias) + bias) + dot[g]);
      const ResidualDoubles out = -2.0 * __builtin_convertvector(e, ResidualDoubles);
      std::memcpy(m + g * n + j, &out, sizeof out);
    }
  };
  if (n < kResidualLanes) {
    for (std::size_t g = 0; g < G; ++g) {
      for (std::size_t j = 0; j < n; ++j) one(g, j);
    }
    return;
  }
  std::size_t j = 0;
  for (; j + kResidualLanes <= n; j += kResidualLanes) chunk(j);
  if (j < n) chunk(n - kResidualLanes);
}

/// The terms of every rating of a group of G users with the same items from
/// its −2e (steps[g * stride + j] for user g's rating j), in rating order,
/// users in group order at each item: user g's Σ −2e q and Σ −2e into
/// user_acc[g (k + 2) + 0..k], each item's into its row of `item_acc`, and
/// Σ e² into squares[g] (as Σ (−2e)² / 4: every partial sum is 4 times that
/// of Σ e², exactly, as scaling by 4 commutes with rounding while nothing
/// overflows or goes subnormal, which squares of floats in double cannot).
/// The G users' sums are G independent chains, which keeps the adder busy
/// where one user's chain would wait on each addition. V is the padded
/// row's vectors when fixed at compile time (the sums then stay in
/// registers), else 0 and the sums and the users' padded rows are in
/// `sums_memory` / `rows_memory` (G × table.width).
template <std::size_t G, std::size_t V, class Row>
void add_terms(const ItemTable& table, const Row* const padded, std::span<const UserPassRow> rows,
               const double* steps, std::size_t stride, const std::uint32_t* slot, double* item_acc,
               double* user_acc, double* squares_out, double* sums_memory,
               double* rows_memory) noexcept {
  const std::size_t vectors = V == 0 ? table.width / kSumLanes : V;
  const std::size_t width = vectors * kSumLanes;
  const std::size_t k = table.k;
  std::array<double, V == 0 ? 1 : G * V * kSumLanes> sums_local{}, rows_local{};
  double* const sums = V == 0 ? sums_memory : sums_local.data();
  double* const p = V == 0 ? rows_memory : rows_local.data();
  std::fill(sums, sums + G * width, 0.0);
  std::fill(p, p + G * width, 0.0);
  for (std::size_t g = 0; g < G; ++g) {
    for (std::size_t f = 0; f < k; ++f) p[g * width + f] = static_cast<double>(rows[g].p[f]);
    p[g * width + k] = 1.0;  // the bias term −2e · 1
  }
  std::array<double, G> squares{};
  const std::size_t n = rows[0].items.size();
  const std::uint32_t* const items = rows[0].items.data();
  for (std::size_t j = 0; j < n; ++j) {
    std::array<double, G> m;
    for (std::size_t g = 0; g < G; ++g) {
      m[g] = steps[g * stride + j];
      squares[g] += m[g] * m[g];
    }
    const std::uint32_t i = items[j];
    const Row* const q = padded + std::size_t{i} * width;
    double* const item = item_acc + std::size_t{slot[i]} * width;
    for (std::size_t v = 0; v < vectors; ++v) {
      const std::size_t at = v * kSumLanes;
      const SumLanes qv = load_row(q + at);
      SumLanes iv = load_sums(item + at);
      for (std::size_t g = 0; g < G; ++g) {
        double* const sum = sums + g * width + at;
        store_sums(sum, load_sums(sum) + m[g] * qv);
        iv += m[g] * load_sums(p + g * width + at);
      }
      store_sums(item + at, iv);
    }
  }
  for (std::size_t g = 0; g < G; ++g) {
    std::copy(sums + g * width, sums + g * width + k + 1, user_acc + g * (k + 2));
    squares_out[g] = 0.25 * squares[g];
  }
}

/// Calls body(std::integral_constant<std::size_t, V>) with V the padded
/// row's vectors for the ranks up to 38 (k = 8, 10, 16, 20, 32 among them:
/// the sums then stay in registers), else V = 0 (at run time).
template <class Body>
void with_sum_vectors(std::size_t width, Body&& body) {
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

}  // namespace

void ItemTable::assign(std::size_t rank, std::span<const float> factors,
                       std::span<const float> bias_in) {
  k = rank;
  items = bias_in.size();
  width = padded_width(k);
  bias = bias_in;
  transposed.resize(k * items);
  padded.assign(items * width, 0.0F);
  for (std::size_t i = 0; i < items; ++i) {
    float* out = padded.data() + i * width;
    for (std::size_t f = 0; f < k; ++f) {
      const float q = factors[i * k + f];
      transposed[f * items + i] = q;
      out[f] = q;
    }
    out[k] = 1.0F;  // the bias term −2e · 1
  }
  const bool small = static_cast<double>(items * width) * sizeof(double) <= kDoubleRowsBytes;
  double_rows.assign(padded.begin(), small ? padded.end() : padded.begin());
}

void users_pass(const ItemTable& table, std::span<const UserPassRow> rows,
                const std::uint32_t* slot, double* item_acc, std::span<double> user_acc,
                std::span<double> squares, UserPassScratch& scratch) {
  DMF_CHECK(!rows.empty() && rows.size() <= kUserPassGroup &&
                user_acc.size() == rows.size() * (table.k + 2) && squares.size() == rows.size(),
            "gd: a pass over {} users with {} sums and {} squares", rows.size(), user_acc.size(),
            squares.size());
  const std::size_t n = rows[0].items.size();
  const std::size_t k = table.k;
  const std::size_t group = rows.size();
  if (scratch.steps.size() < group * n) scratch.steps.resize(group * n);
  scratch.sums.resize(group * table.width);
  scratch.row.resize(group * table.width);
  const auto terms = [&]<std::size_t G>(std::integral_constant<std::size_t, G>) {
    with_small_rank(k, [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
      residuals_of<G, K>(table, rows, scratch.steps.data());
    });
    with_sum_vectors(table.width, [&]<std::size_t V>(std::integral_constant<std::size_t, V>) {
      if (table.double_rows.empty()) {
        add_terms<G, V>(table, table.padded.data(), rows, scratch.steps.data(), n, slot, item_acc,
                        user_acc.data(), squares.data(), scratch.sums.data(), scratch.row.data());
      } else {
        add_terms<G, V>(table, table.double_rows.data(), rows, scratch.steps.data(), n, slot,
                        item_acc, user_acc.data(), squares.data(), scratch.sums.data(),
                        scratch.row.data());
      }
    });
  };
  switch (group) {
    case 1:
      terms(std::integral_constant<std::size_t, 1>{});
      break;
    case 2:
      terms(std::integral_constant<std::size_t, 2>{});
      break;
    case 3:
      terms(std::integral_constant<std::size_t, 3>{});
      break;
    default:
      terms(std::integral_constant<std::size_t, kUserPassGroup>{});
      break;
  }
  for (std::size_t g = 0; g < group; ++g) {
    user_acc[g * (k + 2) + k + 1] = static_cast<double>(n);  // Σ 1: exact
  }
}

}  // namespace dmf::solvers
