// dmf similar's lists against brute force written plainly here (the cosine
// of every pair of item rows), on uneven item blocks (a rank may own none):
// ties, items with all-zero factors, an item filter, N above the item count.
#include "dmf/eval/similar_items.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "dmf/dist/comm.hpp"
#include "support/uneven_model.hpp"

namespace dmf::eval {
namespace {

constexpr int kK = 3;

/// Every item's list by brute force: cos = Σ q_i q_j / (‖q_i‖ ‖q_j‖) in
/// double (0 when either row is zero), the highest first, ties to the lower
/// row; the item itself left out.
std::vector<SimilarItem> brute_force(const std::vector<float>& q, std::uint32_t items,
                                     std::uint32_t query, int n, const ItemFilter& filter) {
  const auto norm = [&](std::uint32_t i) {
    double s = 0.0;
    for (int f = 0; f < kK; ++f) s += static_cast<double>(q[i * kK + f]) * q[i * kK + f];
    return std::sqrt(s);
  };
  std::vector<SimilarItem> all;
  for (std::uint32_t i = 0; i < items; ++i) {
    if (i == query) continue;
    if (filter.allowed && !std::ranges::binary_search(*filter.allowed, i)) continue;
    if (std::ranges::binary_search(filter.denied, i)) continue;
    double dot = 0.0;
    for (int f = 0; f < kK; ++f) dot += static_cast<double>(q[query * kK + f]) * q[i * kK + f];
    const double norms = norm(query) * norm(i);
    all.push_back({i, norms == 0.0 ? 0.0 : dot / norms});
  }
  std::ranges::sort(all, [](const SimilarItem& a, const SimilarItem& b) {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  });
  all.resize(std::min(all.size(), static_cast<std::size_t>(n)));
  return all;
}

/// Every owned item as a query; returns how many tied neighbours were seen.
int expect_matches_brute_force(std::uint32_t items, int n, bool ties,
                               const ItemFilter& filter = {}) {
  const auto comm = dist::Comm::world();
  test::WholeModel full = test::random_whole_model(1, items, kK, ties, /*seed=*/11, /*max_step=*/4);
  // Items with all-zero factors (no direction): rows 0 and 5.
  for (const std::uint32_t zero : {0U, 5U}) {
    if (zero < items) std::fill_n(full.q.begin() + zero * kK, kK, 0.0F);
  }
  const auto [first, rows] = test::uneven_rows(comm, items);
  const model::FactorBlock block = test::slice_rows(full.q, full.bi, first, rows, items, kK);
  std::vector<std::uint32_t> queries(rows);
  for (std::uint32_t r = 0; r < rows; ++r) queries[r] = r;
  const auto got = similar_items(comm, block, queries, n, /*threads=*/2, filter);
  EXPECT_EQ(got.size(), queries.size());
  int tied = 0;
  for (std::uint32_t r = 0; r < rows && r < got.size(); ++r) {
    const std::uint32_t query = first + r;
    const auto want = brute_force(full.q, items, query, n, filter);
    EXPECT_EQ(got[r].size(), want.size()) << "item " << query;
    for (std::size_t j = 0; j < std::min(want.size(), got[r].size()); ++j) {
      EXPECT_EQ(got[r][j].item, want[j].item) << "item " << query << " place " << j;
      EXPECT_EQ(got[r][j].score, want[j].score) << "item " << query << " place " << j;
      EXPECT_EQ(got[r][j].score,
                cosine(block.row(r), std::span(full.q).subspan(got[r][j].item * kK, kK)));
      if (j > 0 && want[j].score == want[j - 1].score) ++tied;
    }
  }
  return tied;
}

TEST(SimilarItems, MatchesBruteForce) { expect_matches_brute_force(700, 15, /*ties=*/false); }

TEST(SimilarItems, TiesGoToTheLowerItemRow) {
  // Quarter-step rows at k = 3 repeat directions (equal or doubled rows):
  // exactly equal cosines, ordered by item row.
  const int tied = expect_matches_brute_force(300, 20, /*ties=*/true);
  const auto comm = dist::Comm::world();
  EXPECT_GT(comm.allreduce(tied, dist::Op::kSum), 0) << "the test data has no ties";
}

TEST(SimilarItems, AnItemFilterAndNAboveTheItemsLeft) {
  ItemFilter filter;
  filter.allowed = std::vector<std::uint32_t>{0, 1, 2, 3, 5, 8, 13, 21};
  filter.denied = {8};
  expect_matches_brute_force(30, 10, /*ties=*/true, filter);
}

TEST(SimilarItems, MoreRanksThanItems) { expect_matches_brute_force(2, 5, /*ties=*/false); }

TEST(SimilarItems, CosineOfAZeroRowIsZero) {
  const std::vector<float> zero{0.0F, 0.0F};
  const std::vector<float> one{3.0F, 4.0F};
  EXPECT_EQ(cosine(zero, one), 0.0);
  EXPECT_DOUBLE_EQ(cosine(one, std::vector<float>{4.0F, 3.0F}), 24.0 / 25.0);
}

}  // namespace
}  // namespace dmf::eval
