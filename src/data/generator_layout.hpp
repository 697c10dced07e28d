// The shape of a generated data set (internal to dmf generate): power-law
// weights over a seeded permutation of users or items, the alias table
// that draws items by popularity, and the samplers both models share.
#pragma once

#include <cstdint>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/generator.hpp"

namespace dmf::data::detail {

// Sub-streams of Stream::kGenerateRatings for one user.
inline constexpr std::uint64_t kItemStream = 0;   // which items, and their order in time
inline constexpr std::uint64_t kValueStream = 1;  // times, then noise or play counts
/// Users drawing more than this share of the items use the exact sampler.
inline constexpr std::uint64_t kDenseShareInverse = 4;

/// Which side a layout is for; part of the random stream's key.
enum class Side : std::uint64_t { kUsers = 0, kItems = 1 };

/// A seeded permutation of 0..n-1: rank r (0 = heaviest) belongs to entity
/// order[r], so heavy users and popular items are spread over the ID range.
[[nodiscard]] std::vector<std::uint32_t> popularity_order(std::uint64_t n, std::uint64_t seed,
                                                          Side side);

/// w_r = (r + 1)^-skew for ranks r = 0..n-1: non-increasing, w_0 = 1.
[[nodiscard]] std::vector<double> power_law(std::uint64_t n, double skew);

/// Vose's alias table over probabilities p (summing to 1): a draw is
/// slot k uniform in 0..n-1, then k with chance probability[k], else alias[k].
struct AliasTable {
  std::vector<double> probability;
  std::vector<std::uint32_t> alias;
};
[[nodiscard]] AliasTable alias_table(const std::vector<double>& p);

/// Appends to out.items `want` more distinct items, a sample without
/// replacement with chances proportional to `weight` (all positive), passing
/// over the items already stamped in `out`. O(items).
void draw_exactly(std::uint64_t want, const std::vector<double>& weight, Rng& rng,
                  SyntheticModel::UserRatings& out);

/// A uniform shuffle: draws come popular-first, and their time order should
/// not depend on popularity (a temporal split then holds out typical items).
void shuffle_in_time(Rng& rng, std::vector<std::uint32_t>& items);

}  // namespace dmf::data::detail
