// The ranking metrics of `dmf eval` over all users, distributed like
// `dmf recommend --all-users`: each user is ranked on the rank that owns the
// user's model row, and the per-user values are summed exactly
// (eval/unit_sum), so the figures are bitwise the same for any number of
// ranks and threads (docs/design.md §5).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/eval/owned_user_items.hpp"
#include "dmf/eval/ranking_metrics.hpp"
#include "dmf/eval/user_ranking.hpp"
#include "dmf/model/model.hpp"

namespace dmf::eval {

/// The figures of a set of ranking metrics.
struct RankingFigures {
  /// Per metric asked for: the mean over the ranked users (coverage: the
  /// share of the catalogue); absent when no user counts for it.
  std::vector<std::optional<double>> values;
  std::uint64_t users_ranked = 0;   // users with a relevant test item
  std::uint64_t users_skipped = 0;  // users of the model without one
  std::uint64_t items = 0;          // the catalogue: items of the model
};

/// The queries of this rank's users: a user's relevant items are its test
/// items whose value is at least `threshold` (every one when absent) and that
/// are not among its `excluded` items; users without one are not queried.
/// `test` and `excluded` (empty, or one list per user) are
/// group_by_owned_user's lists of this rank's users. `left_out`, when given,
/// receives how many test pairs were left out because they are excluded.
[[nodiscard]] std::vector<RankingQuery> ranking_queries(
    std::span<const std::vector<ItemValue>> test, std::span<const std::vector<ItemValue>> excluded,
    std::optional<double> threshold, std::uint64_t* left_out = nullptr);

/// Collective: the figures of `metrics` (ranking metrics only) from this
/// rank's queries, which rank_users ranks against `model`.
[[nodiscard]] RankingFigures ranking_figures(const dist::Comm& comm, const model::Model& model,
                                             std::span<const RankingQuery> queries,
                                             std::span<const MetricSpec> metrics, int threads);

/// The mean of per-user values as ranking_figures computes it (exact sum,
/// one rounding): what a single-process reference compares with.
[[nodiscard]] std::optional<double> exact_mean(std::span<const double> values);

}  // namespace dmf::eval
