// The latent factor model of docs/design.md §2, as one rank holds it:
//   r̂(u,i) = μ + b_u + b_i + p_u · q_i
// Each rank holds a contiguous block of user rows and a block of item rows
// (global canonical row numbers, docs/design.md §6); nobody holds all of them.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dmf/core/enum_names.hpp"

namespace dmf::model {

/// Which bias terms the model has (docs/design.md §2: each can be switched off).
enum class Biases { kNone, kUser, kItem, kBoth };

inline std::span<const EnumName<Biases>> enum_names(Biases /*tag*/) {
  static constexpr std::array<EnumName<Biases>, 4> kNames{{
      {Biases::kNone, "none"},
      {Biases::kUser, "user"},
      {Biases::kItem, "item"},
      {Biases::kBoth, "both"},
  }};
  return kNames;
}

[[nodiscard]] constexpr bool has_user_bias(Biases b) noexcept {
  return b == Biases::kUser || b == Biases::kBoth;
}
[[nodiscard]] constexpr bool has_item_bias(Biases b) noexcept {
  return b == Biases::kItem || b == Biases::kBoth;
}

/// One side's rows owned by this rank: global rows [first_row, first_row + rows).
struct FactorBlock {
  std::uint32_t first_row = 0;
  std::uint32_t rows = 0;
  std::uint32_t total_rows = 0;  // rows of this side over all ranks
  int k = 0;
  std::vector<float> factors;  // rows × k, row-major
  std::vector<float> bias;     // rows; all zero when the side has no bias

  FactorBlock() = default;
  FactorBlock(std::uint32_t first, std::uint32_t count, std::uint32_t total, int rank)
      : first_row(first),
        rows(count),
        total_rows(total),
        k(rank),
        factors(static_cast<std::size_t>(count) * static_cast<std::size_t>(rank), 0.0F),
        bias(count, 0.0F) {}

  [[nodiscard]] std::span<float> row(std::uint32_t local) {
    return std::span(factors).subspan(static_cast<std::size_t>(local) * width(), width());
  }
  [[nodiscard]] std::span<const float> row(std::uint32_t local) const {
    return std::span(factors).subspan(static_cast<std::size_t>(local) * width(), width());
  }
  [[nodiscard]] std::size_t width() const noexcept { return static_cast<std::size_t>(k); }
};

/// This rank's part of a model. μ is the same on every rank.
struct Model {
  double mu = 0.0;
  int k = 0;
  Biases biases = Biases::kBoth;
  FactorBlock users;
  FactorBlock items;
};

/// The prediction of one rating from its two rows. `p` and `q` have k entries.
[[nodiscard]] inline float predict(float mu, float user_bias, float item_bias,
                                   std::span<const float> p, std::span<const float> q) noexcept {
  float dot = 0.0F;
  for (std::size_t f = 0; f < p.size(); ++f) dot += p[f] * q[f];
  return mu + user_bias + item_bias + dot;
}

}  // namespace dmf::model
