// dmf eval's ranking metrics, distributed, against a single-process
// reference over the whole model written plainly here: every user's
// ordering by brute force (ties to the lower item), exclusions, users
// without relevant items, k above the catalogue, uneven blocks (a rank may
// own no users and no items). The figures must equal the reference's
// bitwise at every rank count.
#include "dmf/eval/ranking_eval.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dmf/dist/comm.hpp"
#include "support/uneven_model.hpp"

namespace dmf::eval {
namespace {

constexpr int kRank = 3;

/// User u's relevant test items and excluded items, as global item rows.
/// Every fourth user has no test item.
bool is_relevant(std::uint32_t u, std::uint32_t i) {
  return u % 4 != 3 && (u * 31 + i * 17) % 5 == 0;
}
bool is_excluded(std::uint32_t u, std::uint32_t i) {
  return !is_relevant(u, i) && (u * 13 + i * 7) % 6 == 0;
}

void expect_matches_reference(std::uint32_t users, std::uint32_t items, bool ties) {
  const auto comm = dist::Comm::world();
  const test::WholeModel full =
      test::random_whole_model(users, items, kRank, ties, /*seed=*/5, /*max_step=*/2);
  model::Model model;
  model.k = kRank;
  model.mu = full.mu;
  const auto [first_user, user_rows] = test::uneven_rows(comm, users);
  const auto [first_item, item_rows] = test::uneven_rows(comm, items);
  model.users = test::slice_rows(full.p, full.bu, first_user, user_rows, users, kRank);
  model.items = test::slice_rows(full.q, full.bi, first_item, item_rows, items, kRank);

  std::vector<RankingQuery> queries;
  for (std::uint32_t r = 0; r < user_rows; ++r) {
    RankingQuery query;
    query.user = r;
    for (std::uint32_t i = 0; i < items; ++i) {
      if (is_relevant(first_user + r, i)) query.relevant.push_back(i);
      if (is_excluded(first_user + r, i)) query.excluded.push_back(i);
    }
    if (!query.relevant.empty()) queries.push_back(std::move(query));
  }
  const std::vector<MetricSpec> metrics{
      {MetricKind::kPrecision, 5}, {MetricKind::kRecall, 5},
      {MetricKind::kMap, 5},       {MetricKind::kNdcg, 5},
      {MetricKind::kMrr, 5},       {MetricKind::kHit, 5},
      {MetricKind::kAuc, 0},       {MetricKind::kCoverage, 5},
      {MetricKind::kCoverage, 2},  {MetricKind::kNdcg, static_cast<int>(items) + 4}};
  const RankingFigures got = ranking_figures(comm, model, queries, metrics, /*threads=*/2);

  // The reference: every user of the whole model, in canonical order.
  std::vector<std::vector<double>> values(metrics.size());
  std::set<std::uint32_t> covered5, covered2;
  std::uint64_t ranked = 0;
  for (std::uint32_t u = 0; u < users; ++u) {
    std::vector<std::pair<double, std::uint32_t>> list;  // (score, item)
    bool any_relevant = false;
    for (std::uint32_t i = 0; i < items; ++i) {
      any_relevant = any_relevant || is_relevant(u, i);
      if (is_excluded(u, i)) continue;
      double s = full.mu + full.bu[u] + full.bi[i];
      for (int f = 0; f < kRank; ++f) {
        s += static_cast<double>(full.p[u * kRank + f]) * full.q[i * kRank + f];
      }
      list.emplace_back(s, i);
    }
    if (!any_relevant) continue;
    ++ranked;
    std::ranges::sort(list, [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    UserRanking ranking;
    ranking.candidates = list.size();
    for (std::size_t j = 0; j < list.size(); ++j) {
      if (is_relevant(u, list[j].second)) ranking.relevant_positions.push_back(j + 1);
      if (j < 5) covered5.insert(list[j].second);
      if (j < 2) covered2.insert(list[j].second);
    }
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      if (metrics[m].kind == MetricKind::kCoverage) continue;
      if (const auto v = user_metric(metrics[m], ranking)) values[m].push_back(*v);
    }
  }
  EXPECT_EQ(got.users_ranked, ranked);
  EXPECT_EQ(got.users_skipped, users - ranked);
  EXPECT_EQ(got.items, items);
  ASSERT_EQ(got.values.size(), metrics.size());
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    SCOPED_TRACE(metrics[m].name());
    ASSERT_TRUE(got.values[m].has_value());
    if (metrics[m].kind == MetricKind::kCoverage) {
      const auto& covered = metrics[m].k == 5 ? covered5 : covered2;
      EXPECT_EQ(*got.values[m], static_cast<double>(covered.size()) / items);
      continue;
    }
    // Bitwise: the same users, positions and exact sum on any layout.
    EXPECT_EQ(*got.values[m], *exact_mean(values[m]));
    double plain = 0;
    for (const double v : values[m]) plain += v;
    EXPECT_NEAR(*got.values[m], plain / static_cast<double>(values[m].size()), 1e-12);
  }
}

TEST(Ranking, MatchesTheSingleProcessReference) { expect_matches_reference(60, 900, false); }

TEST(Ranking, TiesGoToTheLowerItemRowAcrossBlocks) {
  // Quarter-step values give many equal scores, often in different blocks.
  expect_matches_reference(40, 120, true);
}

TEST(Ranking, MoreRanksThanItems) { expect_matches_reference(9, 2, true); }

TEST(Ranking, NoUserToRankGivesNoFigures) {
  // Every user skipped: the means are undefined, not 0.
  const auto comm = dist::Comm::world();
  const test::WholeModel full =
      test::random_whole_model(7, 5, kRank, false, /*seed=*/5, /*max_step=*/2);
  model::Model model;
  model.k = kRank;
  model.mu = full.mu;
  const auto [first_user, user_rows] = test::uneven_rows(comm, 7);
  const auto [first_item, item_rows] = test::uneven_rows(comm, 5);
  model.users = test::slice_rows(full.p, full.bu, first_user, user_rows, 7, kRank);
  model.items = test::slice_rows(full.q, full.bi, first_item, item_rows, 5, kRank);
  const std::vector<MetricSpec> metrics{{MetricKind::kNdcg, 3}, {MetricKind::kCoverage, 3}};
  const RankingFigures got = ranking_figures(comm, model, {}, metrics, 1);
  EXPECT_EQ(got.users_ranked, 0U);
  EXPECT_EQ(got.users_skipped, 7U);
  ASSERT_EQ(got.values.size(), 2U);
  EXPECT_FALSE(got.values[0].has_value());
  EXPECT_FALSE(got.values[1].has_value());
}

}  // namespace
}  // namespace dmf::eval
