#include "dmf/data/partition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"

namespace dmf::data {
namespace {

/// Parts for rows with the given degrees, laid out in order.
std::vector<int> assign(const std::vector<std::uint64_t>& degrees, int parts) {
  const std::uint64_t total = std::accumulate(degrees.begin(), degrees.end(), std::uint64_t{0});
  std::vector<int> out;
  std::uint64_t prefix = 0;
  for (const auto d : degrees) {
    out.push_back(part_of(prefix, d, total, parts));
    prefix += d;
  }
  return out;
}

TEST(PartOf, ContiguousAndBalancedWithinOneRow) {
  Rng rng(11);
  for (const int parts : {1, 2, 3, 4, 7, 64}) {
    std::vector<std::uint64_t> degrees(5000);
    for (auto& d : degrees) d = 1 + rng.below(rng.below(10) == 0 ? 400 : 20);  // heavy tail
    const auto owner = assign(degrees, parts);
    EXPECT_TRUE(std::ranges::is_sorted(owner)) << "parts must be contiguous ranges";
    std::vector<std::uint64_t> load(static_cast<std::size_t>(parts), 0);
    for (std::size_t r = 0; r < degrees.size(); ++r) load[static_cast<std::size_t>(owner[r])] += degrees[r];
    const std::uint64_t total = std::accumulate(load.begin(), load.end(), std::uint64_t{0});
    const std::uint64_t heaviest = *std::ranges::max_element(degrees);
    for (const auto l : load) {
      EXPECT_LE(static_cast<double>(l), static_cast<double>(total) / parts + static_cast<double>(heaviest)) << parts;
      EXPECT_GE(static_cast<double>(l) + static_cast<double>(heaviest), static_cast<double>(total) / parts) << parts;
    }
  }
}

TEST(PartOf, MorePartsThanRowsLeavesSomeEmpty) {
  const auto owner = assign({5, 5}, 4);
  EXPECT_EQ(owner, (std::vector<int>{1, 3}));
}

TEST(Ownership, OwnerSkipsEmptyParts) {
  const Ownership own({0, 3, 3, 3, 10});
  EXPECT_EQ(own.parts(), 4);
  EXPECT_EQ(own.owner(0), 0);
  EXPECT_EQ(own.owner(2), 0);
  EXPECT_EQ(own.owner(3), 3);
  EXPECT_EQ(own.owner(9), 3);
  EXPECT_EQ(own.rows(1), 0U);
  EXPECT_THROW((void)own.owner(10), Error);
}

}  // namespace
}  // namespace dmf::data
