// Distributed top-N against brute force over the whole model, written
// plainly here: several query batches and item slices, uneven blocks (a rank
// may own no items), exclusions, ties, N above the item count.
#include "dmf/eval/top_n.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "dmf/dist/comm.hpp"
#include "support/uneven_model.hpp"

namespace dmf::eval {
namespace {

void expect_matches_brute_force(std::uint32_t users, std::uint32_t items, int n, bool ties,
                                const ItemFilter& filter = {}) {
  const auto comm = dist::Comm::world();
  const test::WholeModel full =
      test::random_whole_model(users, items, 3, ties, /*seed=*/7, /*max_step=*/4);
  model::Model model;
  model.k = 3;
  model.mu = full.mu;
  const auto [first_user, user_rows] = test::uneven_rows(comm, users);
  const auto [first_item, item_rows] = test::uneven_rows(comm, items);
  model.users = test::slice_rows(full.p, full.bu, first_user, user_rows, users, 3);
  model.items = test::slice_rows(full.q, full.bi, first_item, item_rows, items, 3);

  // Queries: every owned user, plus one cold user; user u excludes items
  // u, u+7, u+14... (global rows).
  std::vector<std::uint32_t> queries;
  std::vector<std::vector<std::uint32_t>> excluded;
  for (std::uint32_t r = 0; r < user_rows; ++r) {
    queries.push_back(r);
    std::vector<std::uint32_t> skip;
    for (std::uint32_t i = (first_user + r) % 7; i < items; i += 7) skip.push_back(i);
    excluded.push_back(skip);
  }
  queries.push_back(kColdUser);
  excluded.emplace_back();
  const auto got = top_n(comm, model, queries, excluded, n, /*threads=*/2, filter);
  ASSERT_EQ(got.size(), queries.size());

  for (std::size_t q = 0; q < queries.size(); ++q) {
    const bool cold = queries[q] == kColdUser;
    const std::uint32_t u = cold ? 0 : first_user + queries[q];
    std::vector<Recommendation> all;
    for (std::uint32_t i = 0; i < items; ++i) {
      if (std::ranges::binary_search(excluded[q], i)) continue;
      if (filter.allowed && !std::ranges::binary_search(*filter.allowed, i)) continue;
      if (std::ranges::binary_search(filter.denied, i)) continue;
      double s = full.mu + full.bi[i];
      if (!cold) {
        s += full.bu[u];
        for (int f = 0; f < 3; ++f) s += static_cast<double>(full.p[u * 3 + f]) * full.q[i * 3 + f];
      }
      all.push_back({i, static_cast<float>(s)});
    }
    std::ranges::sort(all, better);
    all.resize(std::min(all.size(), static_cast<std::size_t>(n)));
    ASSERT_EQ(got[q].size(), all.size()) << "query " << q;
    for (std::size_t j = 0; j < all.size(); ++j) {
      EXPECT_EQ(got[q][j].item, all[j].item) << "query " << q << " place " << j;
      EXPECT_NEAR(got[q][j].score, all[j].score, 1e-5) << "query " << q << " place " << j;
    }
  }
}

TEST(TopN, MatchesBruteForceAcrossBatchesAndSlices) {
  expect_matches_brute_force(150, 4500, 12, /*ties=*/false);
}

TEST(TopN, TiesGoToTheLowerItemRow) {
  // Quarter-step values at k = 3 give exact float ties; the order must be
  // the brute force's (score, then item row).
  expect_matches_brute_force(40, 300, 25, /*ties=*/true);
}

TEST(TopN, MoreRanksThanItemsAndNAboveTheItemCount) {
  expect_matches_brute_force(5, 2, 10, /*ties=*/false);
}

// --candidates and --exclude: the top N of the items the lists leave, among
// them items a user's own exclusions also name, and ties.
TEST(TopN, AllowAndDenyListsGiveTheTopOfTheItemsLeft) {
  ItemFilter allow;
  allow.allowed.emplace();
  for (std::uint32_t i = 3; i < 300; i += 4) allow.allowed->push_back(i);
  expect_matches_brute_force(40, 300, 12, /*ties=*/true, allow);

  ItemFilter deny;
  for (std::uint32_t i = 0; i < 300; i += 3) deny.denied.push_back(i);
  expect_matches_brute_force(40, 300, 12, /*ties=*/true, deny);

  ItemFilter both = allow;
  for (std::uint32_t i = 3; i < 300; i += 8) both.denied.push_back(i);
  expect_matches_brute_force(40, 300, 12, /*ties=*/true, both);
  // Fewer items admitted than N: the whole admitted set, in order.
  ItemFilter few;
  few.allowed = std::vector<std::uint32_t>{1, 150, 299};
  expect_matches_brute_force(40, 300, 12, /*ties=*/true, few);
}

TEST(ItemFilter, AdmittedCountsTheItemsLeft) {
  ItemFilter f;
  EXPECT_EQ(f.admitted(10), 10U);
  f.denied = {2, 5, 12};
  EXPECT_EQ(f.admitted(10), 8U);
  f.allowed = std::vector<std::uint32_t>{1, 2, 3};
  EXPECT_EQ(f.admitted(10), 2U);
  std::vector<char> admits;
  f.mark(2, 3, admits);
  EXPECT_EQ(admits, (std::vector<char>{0, 1, 0}));
}

}  // namespace
}  // namespace dmf::eval
