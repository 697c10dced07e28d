// The popularity baseline of the ranking metrics (`dmf eval --baseline
// popularity --train FILE`): every user is recommended the items most users
// have in the training data, the same list for all (less the user's own
// excluded items). It is what a personalised model must beat: a model whose
// NDCG is no better than this has learnt only what is popular.
//
// The baseline is a model of rank 0 whose score of (u, i) is the number of
// training users of item i (μ = 0, b_u = 0, b_i = that count), so the ranking
// metrics score it with the model's own code (eval/ranking_eval): the same
// order (the higher count first, ties to the lower item row, which is
// canonical item order), the same exclusions, the same figures on any number
// of ranks (docs/design.md §5).
#pragma once

#include <array>
#include <span>

#include "dmf/core/enum_names.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::eval {

/// What `dmf eval --baseline` ranks by instead of a model.
enum class Baseline { kNone, kPopularity };

inline std::span<const EnumName<Baseline>> enum_names(Baseline /*tag*/) {
  static constexpr std::array<EnumName<Baseline>, 2> kNames{{
      {Baseline::kNone, "none"},
      {Baseline::kPopularity, "popularity"},
  }};
  return kNames;
}

/// Collective. The popularity baseline of `train` (data::load_ratings; a
/// pair given twice counts once, as its duplicate policy merged it): the
/// users and items of `train` in canonical order, owned as `train` owns
/// them, with b_i = the number of users of item i. Throws dmf::Error when a
/// count passes 2^24, past which a float would round it.
[[nodiscard]] model::LoadedModel popularity_model(const dist::Comm& comm, data::RatingsData train);

}  // namespace dmf::eval
