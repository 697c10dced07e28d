// The validation set that training measures after every epoch (README
// "Validation and early stopping"): RMSE and MAE of its ratings, and the
// metric that early stopping and --restarts watch (--validation-metric).
// A ranking metric ranks, for every validation user, each item but the ones
// the user rated in the training data — what `dmf eval --metrics M
// --exclude-rated TRAIN` does on the saved model, by the same code
// (eval/ranking_eval) — so its value is the same bits for any number of
// ranks and threads, and so are the decisions taken on it (docs/design.md §5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/eval/ranking_metrics.hpp"
#include "dmf/eval/rating_set.hpp"
#include "dmf/eval/user_ranking.hpp"
#include "dmf/model/model.hpp"

namespace dmf::train {

/// One measurement of the validation set.
struct ValidationFigures {
  eval::SetScore score;           // RMSE and MAE of its ratings
  std::optional<double> watched;  // the watched metric; absent when undefined
};

/// How messages and the progress line name a validation metric: "RMSE",
/// "MAE", "ndcg@10".
[[nodiscard]] std::string metric_label(const eval::MetricSpec& metric);

class Validation {
 public:
  /// Collective. `ratings` were read on this rank from `path`; `train` is
  /// the training data (its users' items are left out of their rankings)
  /// and `model` a model of it (its blocks' shape). `relevant_threshold`:
  /// a ranking metric counts only validation ratings of at least this value
  /// as relevant (every one when absent). `predicts_ratings`: false for an
  /// implicit-feedback model, whose scores are no ratings, so RMSE and MAE
  /// are not measured (they would mean nothing).
  Validation(const dist::Comm& comm, const model::Model& model, const data::RatingsData& train,
             const data::LocalRatings& ratings, const std::string& path, eval::MetricSpec metric,
             std::optional<double> relevant_threshold, bool predicts_ratings = true);

  /// Collective: the figures of `model` as it is now.
  [[nodiscard]] ValidationFigures measure(const dist::Comm& comm, const model::Model& model,
                                          int threads) const;

  /// The watched metric.
  [[nodiscard]] const eval::MetricSpec& metric() const noexcept { return metric_; }
  /// Whether the watched value `a` is better than `b`: higher for a ranking
  /// metric, lower for rmse and mae.
  [[nodiscard]] bool better(double a, double b) const noexcept {
    return eval::higher_is_better(metric_.kind) ? a > b : a < b;
  }
  /// The validation ratings (their count and cold ones).
  [[nodiscard]] const eval::RatingSet& ratings() const noexcept { return set_; }
  /// Over all ranks, for a ranking metric: the users ranked (those with a
  /// relevant validation item), and the validation pairs left out because
  /// the user rated the item in the training data. 0 for rmse and mae.
  [[nodiscard]] std::uint64_t users_ranked() const noexcept { return users_ranked_; }
  [[nodiscard]] std::uint64_t rated_left_out() const noexcept { return rated_left_out_; }

 private:
  eval::RatingSet set_;
  eval::MetricSpec metric_;
  bool predicts_ratings_ = true;
  std::vector<eval::RankingQuery> queries_;  // this rank's users, for a ranking metric
  std::uint64_t users_ranked_ = 0;
  std::uint64_t rated_left_out_ = 0;
};

}  // namespace dmf::train
