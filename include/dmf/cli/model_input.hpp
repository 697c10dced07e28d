// What the commands that use a trained model share: its --model option, and
// for eval and predict a ratings file matched against it.
#pragma once

#include <optional>
#include <string>

#include "dmf/cli/params.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/eval/rating_set.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::cli {

/// Declares --model DIR (required).
void declare_model(ParamSet& params, std::string& dir);

/// A model and this rank's share of a ratings file, matched to its rows.
struct ModelAndRatings {
  model::LoadedModel loaded;
  data::LocalRatings ratings;
  std::optional<eval::RatingSet> set;  // always set by read_model_and_ratings
};

/// Collective: reads the model directory and `path` (with `load`, whose
/// thread count is replaced by `threads`) and matches them under `cold_start`.
[[nodiscard]] ModelAndRatings read_model_and_ratings(const dist::Comm& comm,
                                                     const std::string& model_dir,
                                                     const std::string& path,
                                                     data::LoadOptions load,
                                                     eval::ColdStart cold_start, int threads);

}  // namespace dmf::cli
