// dmf info's statistics against naive single-process computations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/summary.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

struct Triple {
  int user;
  int item;
  float value;
};

std::vector<Triple> ratings_with(std::uint64_t seed, int count, bool star_scale) {
  Rng rng(seed);
  std::map<std::pair<int, int>, float> pairs;
  while (static_cast<int>(pairs.size()) < count) {
    const int u = static_cast<int>(300 * rng.uniform() * rng.uniform());
    const int i = static_cast<int>(200 * rng.uniform() * rng.uniform() * rng.uniform());
    pairs[{u, i}] = star_scale ? static_cast<float>(1 + rng.below(5))
                               : static_cast<float>(std::round(rng.normal() * 1000) / 100);
  }
  std::vector<Triple> out;
  for (const auto& [key, v] : pairs) out.push_back({key.first, key.second, v});
  return out;
}

RatingsData load(const dist::Comm& comm, const test::TempDir& dir, const std::vector<Triple>& rs) {
  std::string text;
  for (const auto& r : rs) text += fmt::format("{} {} {}\n", r.user, r.item, r.value);
  return load_ratings(comm, dir.write("r.txt", text), LoadOptions{});
}

/// Nearest-rank quantile of a sorted list.
std::uint64_t quantile(const std::vector<std::uint64_t>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void expect_degrees(const DegreeStats& got, std::map<int, std::uint64_t> degrees) {
  std::vector<std::uint64_t> sorted;
  for (const auto& [row, d] : degrees) sorted.push_back(d);
  std::ranges::sort(sorted);
  EXPECT_EQ(got.min, sorted.front());
  EXPECT_EQ(got.max, sorted.back());
  EXPECT_EQ(got.p50, quantile(sorted, 0.5));
  EXPECT_EQ(got.p90, quantile(sorted, 0.9));
  EXPECT_EQ(got.p99, quantile(sorted, 0.99));
}

TEST(Summary, MatchesNaiveStatistics) {
  const auto comm = dist::Comm::world();
  for (const bool stars : {true, false}) {
    test::TempDir dir(comm);
    const auto rs = ratings_with(stars ? 1 : 2, 3000, stars);
    const auto data = load(comm, dir, rs);
    const DataSummary s = summarize(comm, data);

    std::map<int, std::uint64_t> users;
    std::map<int, std::uint64_t> items;
    std::map<float, std::uint64_t> values;
    double sum = 0.0;
    for (const auto& r : rs) {
      ++users[r.user];
      ++items[r.item];
      ++values[r.value];
      sum += r.value;
    }
    EXPECT_EQ(s.ratings, rs.size());
    EXPECT_EQ(s.users, users.size());
    EXPECT_EQ(s.items, items.size());
    EXPECT_DOUBLE_EQ(s.density, static_cast<double>(rs.size()) /
                                    static_cast<double>(users.size() * items.size()));
    EXPECT_NEAR(s.rating_mean, sum / static_cast<double>(rs.size()), 1e-9);
    EXPECT_EQ(s.rating_min, values.begin()->first);
    EXPECT_EQ(s.rating_max, values.rbegin()->first);
    expect_degrees(s.user_degrees, users);
    expect_degrees(s.item_degrees, items);

    std::uint64_t binned = 0;
    for (const auto& bin : s.histogram) binned += bin.count;
    EXPECT_EQ(binned, rs.size());
    if (stars) {
      ASSERT_EQ(s.histogram.size(), 5U);
      for (const auto& bin : s.histogram) {
        EXPECT_EQ(bin.low, bin.high);
        EXPECT_EQ(bin.count, values.at(static_cast<float>(bin.low)));
      }
    } else {
      ASSERT_EQ(s.histogram.size(), 10U);  // many distinct values: equal-width bins
      EXPECT_EQ(s.histogram.front().low, s.rating_min);
      EXPECT_NEAR(s.histogram.back().high, s.rating_max, 1e-9);
    }
  }
}

TEST(Summary, PartitionLoadsMatchTheLoaderOnEveryRankCount) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = load(comm, dir, ratings_with(3, 4000, true));
  // The prediction for this many ranks is what the loader did.
  const auto predicted = partition_loads(comm, data.by_user, comm.size());
  const auto actual = comm.allgather<std::uint64_t>(data.by_user.nnz());
  EXPECT_EQ(predicted, actual);
  const auto predicted_items = partition_loads(comm, data.by_item, comm.size());
  EXPECT_EQ(predicted_items, comm.allgather<std::uint64_t>(data.by_item.nnz()));
  for (const int parts : {1, 5, 16}) {
    const auto loads = partition_loads(comm, data.by_user, parts);
    std::uint64_t total = 0;
    for (const auto l : loads) total += l;
    EXPECT_EQ(total, 4000U);
  }
}

}  // namespace
}  // namespace dmf::data
