#include "dmf/data/block_builder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"

namespace dmf::data {
namespace {

/// Random ratings on rows [10, 10 + rows) with duplicates, columns among
/// `columns` values `spacing` apart; lines are the arrival order, as they
/// are after routing.
std::vector<RoutedRating> random_ratings(std::uint32_t rows, int count, std::uint64_t seed,
                                         std::uint64_t columns = 30, std::uint64_t spacing = 1) {
  Rng rng(seed);
  std::vector<RoutedRating> out;
  for (int k = 0; k < count; ++k) {
    out.push_back({static_cast<std::uint64_t>(k + 1),
                   10 + static_cast<std::uint32_t>(rng.below(rows)),
                   static_cast<std::uint32_t>(rng.below(columns) * spacing),
                   static_cast<float>(1 + rng.below(5)), 0});
  }
  return out;
}

/// The naive reference: group by (row, column) in line order.
std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<const RoutedRating*>> groups(
    const std::vector<RoutedRating>& ratings) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<const RoutedRating*>> out;
  for (const auto& r : ratings) out[{r.row, r.column}].push_back(&r);
  return out;
}

class BlockBuilderPolicy : public ::testing::TestWithParam<std::tuple<DuplicatePolicy, int, bool>> {
};

TEST_P(BlockBuilderPolicy, MatchesNaiveGrouping) {
  const auto [policy, threads, long_rows] = GetParam();
  // Short rows of nearby columns, or long rows spread over 2^31 columns
  // (every byte of a column differs between entries).
  const auto ratings =
      long_rows ? random_ratings(3, 3000, 5, 400, 5'000'017) : random_ratings(20, 800, 3);
  const std::uint32_t rows = long_rows ? 3 : 20;
  const auto built = build_block(10, rows, ratings, {}, policy, true, threads);
  const auto expected = groups(ratings);
  const SparseBlock& b = built.block;
  ASSERT_EQ(b.rows(), rows);
  ASSERT_EQ(b.nnz(), expected.size());
  std::uint64_t merged = 0;
  std::uint64_t pairs = 0;
  for (const auto& [key, group] : expected) {
    merged += group.size() - 1;
    pairs += group.size() > 1 ? 1 : 0;
  }
  EXPECT_EQ(built.duplicate_ratings, merged);
  EXPECT_EQ(built.duplicate_pairs, pairs);
  auto it = expected.begin();
  for (std::uint32_t r = 0; r < b.rows(); ++r) {
    for (std::uint64_t k = b.offsets[r]; k < b.offsets[r + 1]; ++k, ++it) {
      const auto& [key, group] = *it;
      EXPECT_EQ(key.first, r + 10);
      EXPECT_EQ(key.second, b.columns[k]);
      double sum = 0.0;
      for (const auto* g : group) sum += g->value;
      switch (policy) {
        case DuplicatePolicy::kError:
        case DuplicatePolicy::kFirst:
          EXPECT_EQ(b.values[k], group.front()->value);
          EXPECT_EQ(b.lines[k], group.front()->line);
          break;
        case DuplicatePolicy::kLast:
          EXPECT_EQ(b.values[k], group.back()->value);
          EXPECT_EQ(b.lines[k], group.back()->line);
          break;
        case DuplicatePolicy::kMean:
          EXPECT_FLOAT_EQ(b.values[k], static_cast<float>(sum / static_cast<double>(group.size())));
          break;
        case DuplicatePolicy::kSum:
          EXPECT_FLOAT_EQ(b.values[k], static_cast<float>(sum));
          break;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllPolicies, BlockBuilderPolicy,
    ::testing::Combine(::testing::Values(DuplicatePolicy::kError, DuplicatePolicy::kFirst,
                                         DuplicatePolicy::kLast, DuplicatePolicy::kMean,
                                         DuplicatePolicy::kSum),
                       ::testing::Values(1, 2), ::testing::Bool()));

TEST(BlockBuilder, ExamplesAreTheEarliestDuplicates) {
  const std::vector<RoutedRating> ratings{{1, 0, 5, 1.0F, 0}, {2, 1, 3, 2.0F, 0},
                                          {3, 0, 5, 3.0F, 0}, {4, 1, 3, 4.0F, 0},
                                          {5, 1, 3, 5.0F, 0}, {6, 0, 6, 1.0F, 0}};
  const auto built = build_block(0, 2, ratings, {}, DuplicatePolicy::kError, false, 1);
  EXPECT_EQ(built.duplicate_pairs, 2U);
  EXPECT_EQ(built.duplicate_ratings, 3U);
  ASSERT_EQ(built.examples.size(), 2U);
  EXPECT_EQ(built.examples[0].first_line, 1U);
  EXPECT_EQ(built.examples[0].second_line, 3U);
  EXPECT_EQ(built.examples[1].first_line, 2U);
  EXPECT_EQ(built.examples[1].second_line, 4U);
}

TEST(BlockBuilder, KeepsTimesOfTheKeptRating) {
  const std::vector<RoutedRating> ratings{
      {1, 0, 2, 1.0F, 0}, {2, 0, 2, 3.0F, 1}, {3, 0, 1, 2.0F, 2}};
  const std::vector<std::int64_t> times{100, 200, 300};
  const auto built = build_block(0, 1, ratings, times, DuplicatePolicy::kLast, false, 1);
  ASSERT_EQ(built.block.nnz(), 2U);
  EXPECT_EQ(built.block.columns, (UninitVector<std::uint32_t>{1, 2}));
  EXPECT_EQ(built.block.times, (UninitVector<std::int64_t>{300, 200}));
  EXPECT_TRUE(built.block.lines.empty());
}

TEST(BlockBuilder, RejectsARatingOfAnotherOwner) {
  const std::vector<RoutedRating> ratings{{1, 7, 2, 1.0F, 0}};
  EXPECT_THROW((void)build_block(0, 5, ratings, {}, DuplicatePolicy::kFirst, false, 1), Error);
}

}  // namespace
}  // namespace dmf::data
