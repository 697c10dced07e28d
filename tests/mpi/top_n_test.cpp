// Distributed top-N against brute force over the whole model, written
// plainly here: several query batches and item slices, uneven blocks (a rank
// may own no items), exclusions, ties, N above the item count.
#include "dmf/eval/top_n.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dmf/dist/comm.hpp"

namespace dmf::eval {
namespace {

struct FullModel {
  int k = 3;
  double mu = 3.5;
  std::vector<float> p, q, bu, bi;  // all rows
};

FullModel make_full(std::uint32_t users, std::uint32_t items, bool ties) {
  FullModel m;
  std::mt19937 rng(7);
  // Quarter steps: many exact ties when `ties`.
  std::uniform_int_distribution<int> step(-4, 4);
  auto value = [&] { return ties ? static_cast<float>(step(rng)) / 4.0F
                                 : std::normal_distribution<float>(0.0F, 1.0F)(rng); };
  for (std::uint32_t u = 0; u < users * 3; ++u) m.p.push_back(value());
  for (std::uint32_t i = 0; i < items * 3; ++i) m.q.push_back(value());
  for (std::uint32_t u = 0; u < users; ++u) m.bu.push_back(value());
  for (std::uint32_t i = 0; i < items; ++i) m.bi.push_back(value());
  return m;
}

/// Rank r's rows of `total`: uneven, rank 1 gets nothing when there are 3+ ranks.
std::pair<std::uint32_t, std::uint32_t> block_of(const dist::Comm& comm, std::uint32_t total) {
  std::vector<std::uint32_t> weight(static_cast<std::size_t>(comm.size()), 2);
  if (comm.size() >= 3) weight[1] = 0;
  weight[0] = 3;
  std::uint32_t sum = 0;
  for (auto w : weight) sum += w;
  std::uint32_t begin = 0;
  for (int r = 0; r < comm.rank(); ++r) begin += total * weight[static_cast<std::size_t>(r)] / sum;
  std::uint32_t end = comm.rank() + 1 == comm.size()
                          ? total
                          : begin + total * weight[static_cast<std::size_t>(comm.rank())] / sum;
  return {begin, end - begin};
}

model::FactorBlock slice(const std::vector<float>& factors, const std::vector<float>& bias,
                         std::uint32_t first, std::uint32_t rows, std::uint32_t total) {
  model::FactorBlock b(first, rows, total, 3);
  std::copy_n(factors.begin() + first * 3, rows * 3, b.factors.begin());
  std::copy_n(bias.begin() + first, rows, b.bias.begin());
  return b;
}

void expect_matches_brute_force(std::uint32_t users, std::uint32_t items, int n, bool ties) {
  const auto comm = dist::Comm::world();
  const FullModel full = make_full(users, items, ties);
  model::Model model;
  model.k = 3;
  model.mu = full.mu;
  const auto [first_user, user_rows] = block_of(comm, users);
  const auto [first_item, item_rows] = block_of(comm, items);
  model.users = slice(full.p, full.bu, first_user, user_rows, users);
  model.items = slice(full.q, full.bi, first_item, item_rows, items);

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
  const auto got = top_n(comm, model, queries, excluded, n, /*threads=*/2);
  ASSERT_EQ(got.size(), queries.size());

  for (std::size_t q = 0; q < queries.size(); ++q) {
    const bool cold = queries[q] == kColdUser;
    const std::uint32_t u = cold ? 0 : first_user + queries[q];
    std::vector<Recommendation> all;
    for (std::uint32_t i = 0; i < items; ++i) {
      if (std::ranges::binary_search(excluded[q], i)) continue;
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

}  // namespace
}  // namespace dmf::eval
