// What a model's data says about its users (docs/design.md §2): ratings to
// reproduce (explicit), or observations of what they used — clicks, plays,
// purchases — from which preferences are learned (implicit). The model
// directory's manifest records it as "feedback" (absent: explicit, the only
// kind of models written before it existed).
#pragma once

#include <array>
#include <span>

#include "dmf/core/enum_names.hpp"

namespace dmf::model {

enum class Feedback {
  kExplicit,  // r̂(u,i) = μ + b_u + b_i + p_u·q_i fitted to the ratings (§2)
  kImplicit,  // p_u·q_i fitted to preferences 0/1 over all pairs, weighted by confidence (§2)
};

inline std::span<const EnumName<Feedback>> enum_names(Feedback /*tag*/) {
  static constexpr std::array<EnumName<Feedback>, 2> kNames{{
      {Feedback::kExplicit, "explicit"},
      {Feedback::kImplicit, "implicit"},
  }};
  return kNames;
}

}  // namespace dmf::model
