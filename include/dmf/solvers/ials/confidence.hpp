// How an observation's value becomes a preference and a confidence in the
// implicit-feedback objective (docs/design.md §2, implicit feedback; Hu,
// Koren, Volinsky, ICDM 2008):
//   p = 1 if r > 0, else 0
//   c = 1 + α|r|                 (linear)
//   c = 1 + α log(1 + |r|/ε)     (log)
// Unobserved pairs have p = 0, c = 1. A negative value (a dislike, as Spark
// reads one) is a preference 0 held with the confidence of its magnitude;
// c ≥ 1 always, so every row's system stays positive definite.
#pragma once

#include <array>
#include <cmath>
#include <span>

#include "dmf/core/enum_names.hpp"

namespace dmf::solvers {

enum class ConfidenceScale { kLinear, kLog };

inline std::span<const EnumName<ConfidenceScale>> enum_names(ConfidenceScale /*tag*/) {
  static constexpr std::array<EnumName<ConfidenceScale>, 2> kNames{{
      {ConfidenceScale::kLinear, "linear"},
      {ConfidenceScale::kLog, "log"},
  }};
  return kNames;
}

struct Confidence {
  // Spark's and the `implicit` library's default; Hu et al.'s 40 was tuned
  // for their watching-time data and over-weights play counts.
  double alpha = 1.0;
  ConfidenceScale scale = ConfidenceScale::kLinear;
  double epsilon = 1.0;  // of the log scale: c = 1 + α log(1 + |r|/ε)

  /// c of an observed value r.
  [[nodiscard]] double of(float r) const noexcept {
    const double magnitude = std::abs(static_cast<double>(r));
    return scale == ConfidenceScale::kLinear ? 1.0 + alpha * magnitude
                                             : 1.0 + alpha * std::log1p(magnitude / epsilon);
  }
  /// p of an observed value r.
  [[nodiscard]] static double preference(float r) noexcept { return r > 0.0F ? 1.0 : 0.0; }
};

}  // namespace dmf::solvers
