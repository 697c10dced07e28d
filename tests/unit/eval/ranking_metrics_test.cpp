// The ranking metrics of one user against a brute force written plainly
// here from the ordered list itself (README "Commands: eval" formulas):
// ties, excluded items, k above the catalogue; the metric list's parsing;
// the exact sum that makes the means independent of the rank count.
#include "dmf/eval/ranking_metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "dmf/core/error.hpp"
#include "dmf/eval/ranking_eval.hpp"
#include "dmf/eval/unit_sum.hpp"

namespace dmf::eval {
namespace {

/// A user's catalogue: a score per item, which items are excluded and
/// which relevant.
struct Case {
  std::vector<double> scores;
  std::set<std::uint32_t> excluded;
  std::set<std::uint32_t> relevant;  // none excluded
};

/// The ranked list: the candidates by score, ties to the lower item.
std::vector<std::uint32_t> ranked(const Case& c) {
  std::vector<std::uint32_t> list;
  for (std::uint32_t i = 0; i < c.scores.size(); ++i) {
    if (!c.excluded.contains(i)) list.push_back(i);
  }
  std::ranges::sort(list, [&](std::uint32_t a, std::uint32_t b) {
    return c.scores[a] > c.scores[b] || (c.scores[a] == c.scores[b] && a < b);
  });
  return list;
}

UserRanking positions_of(const Case& c) {
  const auto list = ranked(c);
  UserRanking r;
  r.candidates = list.size();
  for (std::size_t j = 0; j < list.size(); ++j) {
    if (c.relevant.contains(list[j])) r.relevant_positions.push_back(j + 1);
  }
  return r;
}

/// The metric computed from the list, the long way.
std::optional<double> brute_force(const MetricSpec& m, const Case& c) {
  const auto list = ranked(c);
  const auto k = static_cast<std::size_t>(m.k);
  const double relevant = static_cast<double>(c.relevant.size());
  auto is_relevant = [&](std::size_t j) { return c.relevant.contains(list[j]); };
  double hits = 0;
  for (std::size_t j = 0; j < std::min(k, list.size()); ++j) hits += is_relevant(j) ? 1 : 0;
  switch (m.kind) {
    case MetricKind::kPrecision:
      return hits / static_cast<double>(k);
    case MetricKind::kRecall:
      return hits / relevant;
    case MetricKind::kMap: {
      double sum = 0, seen = 0;
      for (std::size_t j = 0; j < std::min(k, list.size()); ++j) {
        if (!is_relevant(j)) continue;
        seen += 1;
        sum += seen / static_cast<double>(j + 1);  // precision at this position
      }
      return sum / std::min(static_cast<double>(k), relevant);
    }
    case MetricKind::kNdcg: {
      double dcg = 0, ideal = 0;
      for (std::size_t j = 0; j < std::min(k, list.size()); ++j) {
        if (is_relevant(j)) dcg += 1.0 / std::log2(static_cast<double>(j + 1) + 1.0);
      }
      for (std::size_t j = 0; j < std::min(k, c.relevant.size()); ++j) {
        ideal += 1.0 / std::log2(static_cast<double>(j + 1) + 1.0);
      }
      return dcg / ideal;
    }
    case MetricKind::kMrr:
      for (std::size_t j = 0; j < std::min(k, list.size()); ++j) {
        if (is_relevant(j)) return 1.0 / static_cast<double>(j + 1);
      }
      return 0.0;
    case MetricKind::kHit:
      return hits > 0 ? 1.0 : 0.0;
    case MetricKind::kAuc: {
      double ordered = 0, pairs = 0;
      for (std::size_t a = 0; a < list.size(); ++a) {
        for (std::size_t b = 0; b < list.size(); ++b) {
          if (!is_relevant(a) || is_relevant(b)) continue;
          pairs += 1;
          if (a < b) ordered += 1;
        }
      }
      if (pairs == 0) return std::nullopt;
      return ordered / pairs;
    }
    default:
      ADD_FAILURE() << "not a per-user metric";
      return std::nullopt;
  }
}

void expect_all_metrics_match(const Case& c, int k) {
  const UserRanking r = positions_of(c);
  for (const MetricKind kind :
       {MetricKind::kPrecision, MetricKind::kRecall, MetricKind::kMap, MetricKind::kNdcg,
        MetricKind::kMrr, MetricKind::kHit, MetricKind::kAuc}) {
    const MetricSpec m{kind, takes_k(kind) ? k : 0};
    const auto want = brute_force(m, c);
    const auto got = user_metric(m, r);
    ASSERT_EQ(got.has_value(), want.has_value()) << m.name();
    if (want) {
      EXPECT_DOUBLE_EQ(*got, *want) << m.name();
    }
  }
}

TEST(RankingMetrics, HandWorkedUser) {
  // Items 0..5 by score: 2 (0.9), 0 (0.8), 4 (0.7), 1 (0.5), 5 (0.3), 3 (0.1);
  // relevant 0 and 5: positions 2 and 5.
  const Case c{{0.8, 0.5, 0.9, 0.1, 0.7, 0.3}, {}, {0, 5}};
  const UserRanking r = positions_of(c);
  ASSERT_EQ(r.relevant_positions, (std::vector<std::uint64_t>{2, 5}));
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kPrecision, 3}, r), 1.0 / 3);
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kRecall, 3}, r), 0.5);
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kMap, 5}, r), (1.0 / 2 + 2.0 / 5) / 2);
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kNdcg, 3}, r),
                   (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0)));
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kMrr, 3}, r), 0.5);
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kMrr, 1}, r), 0.0);
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kHit, 1}, r), 0.0);
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kHit, 2}, r), 1.0);
  // Relevant 0 is ahead of 4, 1, 3 (its non-relevant followers), 5 of 3:
  // 4 of the 2 × 4 pairs.
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kAuc, 0}, r), 4.0 / 8);
  expect_all_metrics_match(c, 3);
}

TEST(RankingMetrics, MatchBruteForceWithTiesExclusionsAndLargeK) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const auto items = static_cast<std::uint32_t>(1 + rng() % 12);
    Case c;
    // Scores in eighths from a small range: many exact ties.
    for (std::uint32_t i = 0; i < items; ++i)
      c.scores.push_back(static_cast<double>(rng() % 5) / 8);
    for (std::uint32_t i = 0; i < items; ++i) {
      const auto draw = rng() % 4;
      if (draw == 0) c.excluded.insert(i);
      if (draw == 1) c.relevant.insert(i);
    }
    if (c.relevant.empty()) continue;  // such users are not ranked
    // k from 1 up to beyond the catalogue.
    for (const int k : {1, 2, 5, static_cast<int>(items), static_cast<int>(items) + 7}) {
      SCOPED_TRACE(testing::Message() << "trial " << trial << " k " << k);
      expect_all_metrics_match(c, k);
    }
  }
}

TEST(RankingMetrics, AucUndefinedWhenEveryCandidateIsRelevant) {
  const Case c{{0.5, 0.5, 0.1}, {2}, {0, 1}};
  EXPECT_FALSE(user_metric({MetricKind::kAuc, 0}, positions_of(c)).has_value());
  // Precision at a k beyond the 2 candidates still divides by k.
  EXPECT_DOUBLE_EQ(*user_metric({MetricKind::kPrecision, 10}, positions_of(c)), 0.2);
}

TEST(RankingQueries, SkipUsersWithoutRelevantItemsAndLeaveOutExcludedOnes) {
  const std::vector<std::vector<ItemValue>> test{
      {{1, 5.0F}, {4, 2.0F}},  // user 0: item 4 below the threshold
      {},                      // user 1: no test item
      {{3, 4.0F}},             // user 2: its only item excluded
      {{2, 3.0F}},             // user 3: below the threshold
      {{0, 4.0F}, {7, 4.5F}},  // user 4
  };
  const std::vector<std::vector<ItemValue>> excluded{{{2, 1.0F}}, {}, {{3, 1.0F}}, {}, {}};
  std::uint64_t left_out = 0;
  const auto queries = ranking_queries(test, excluded, 4.0, &left_out);
  ASSERT_EQ(queries.size(), 2U);
  EXPECT_EQ(queries[0].user, 0U);
  EXPECT_EQ(queries[0].relevant, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(queries[0].excluded, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(queries[1].user, 4U);
  EXPECT_EQ(queries[1].relevant, (std::vector<std::uint32_t>{0, 7}));
  EXPECT_EQ(left_out, 1U);
  // Without a threshold every test item not excluded is relevant.
  const auto all = ranking_queries(test, {}, std::nullopt);
  ASSERT_EQ(all.size(), 4U);
  EXPECT_EQ(all[0].relevant, (std::vector<std::uint32_t>{1, 4}));
}

TEST(MetricList, ParsesNamesAndCutOffs) {
  const auto specs = parse_metrics(" rmse, ndcg@20,precision ,auc,hit@k,ndcg@20,coverage", 7);
  const std::vector<MetricSpec> want{{MetricKind::kRmse, 0},      {MetricKind::kNdcg, 20},
                                     {MetricKind::kPrecision, 7}, {MetricKind::kAuc, 0},
                                     {MetricKind::kHit, 7},       {MetricKind::kCoverage, 7}};
  EXPECT_EQ(specs, want);
  EXPECT_EQ(specs[1].name(), "ndcg@20");
  EXPECT_EQ(specs[3].name(), "auc");
}

TEST(MetricList, RefusesWithTheAcceptedNames) {
  for (const char* bad : {"ndcg,foo", "ndcg@0", "ndcg@x", "ndcg@", "auc@10", "rmse@3", ",", ""}) {
    try {
      (void)parse_metrics(bad, 10);
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("--metrics"), std::string::npos) << message;
      if (std::string_view(bad) == "ndcg,foo") {
        EXPECT_NE(message.find("'foo'"), std::string::npos) << message;
        EXPECT_NE(message.find("precision@k, recall@k, map@k, ndcg@k, mrr@k, hit@k, auc, "
                               "coverage@k"),
                  std::string::npos)
            << message;
      }
    }
  }
}

TEST(MetricList, OneMetricOfAnOptionWithoutCoverage) {
  EXPECT_EQ(parse_per_user_metric(" ndcg@20 ", 10, "--validation-metric"),
            (MetricSpec{MetricKind::kNdcg, 20}));
  EXPECT_EQ(parse_per_user_metric("precision", 10, "--validation-metric"),
            (MetricSpec{MetricKind::kPrecision, 10}));
  EXPECT_EQ(parse_per_user_metric("mae", 10, "--validation-metric"),
            (MetricSpec{MetricKind::kMae, 0}));
  EXPECT_TRUE(higher_is_better(MetricKind::kAuc));
  EXPECT_FALSE(higher_is_better(MetricKind::kRmse));
  // One name, not a list; coverage is a figure of the catalogue.
  for (const char* bad : {"ndcg@10,auc", "nDCG", "coverage@5", "auc@3", "", "recall@0"}) {
    try {
      (void)parse_per_user_metric(bad, 10, "--validation-metric");
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_TRUE(message.starts_with("--validation-metric")) << message;
      if (std::string_view(bad) != "recall@0") {
        EXPECT_NE(message.find("accepted: rmse, mae, precision@k, recall@k, map@k, ndcg@k, "
                               "mrr@k, hit@k, auc"),
                  std::string::npos)
            << message;
        EXPECT_EQ(message.find("coverage@k"), std::string::npos) << message;
      }
    }
  }
}

TEST(UnitIntervalSum, SameBitsForAnyOrderAndSplit) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) values.push_back(unit(rng));
  values.push_back(1.0);
  values.push_back(0.0);
  UnitIntervalSum whole;
  for (const double v : values) whole.add(v);
  EXPECT_NEAR(
      whole.value(),
      [&] {
        long double s = 0;
        for (const double v : values) s += v;
        return static_cast<double>(s);
      }(),
      1e-12);
  // Reversed, and split in three parts added together: the same bits.
  std::ranges::reverse(values);
  UnitIntervalSum parts[3];
  for (std::size_t i = 0; i < values.size(); ++i) parts[i * 3 / values.size()].add(values[i]);
  parts[2].add(parts[0]);
  parts[2].add(parts[1]);
  EXPECT_EQ(parts[2].value(), whole.value());
  EXPECT_THROW(whole.add(1.5), Error);
  EXPECT_THROW(whole.add(-0.1), Error);
}

}  // namespace
}  // namespace dmf::eval
