// The shape of a generated data set (internal to dmf generate): power-law
// weights over a seeded permutation of users or items, and the alias table
// that draws items by popularity.
#pragma once

#include <cstdint>
#include <vector>

namespace dmf::data::detail {

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

}  // namespace dmf::data::detail
