// The popularity baseline of dmf eval, from files to figures, at 1-4 ranks,
// against a brute force written plainly here: each user's candidates (the
// training items less the user's own) sorted by training users, most first,
// ties to the lower item ID, and precision@k and NDCG@k by their formulas.
// IDs have gaps and come in no order in the files, so canonical order is the
// numeric one; many items share a count (ties); some test pairs have an item
// or user the training data lacks (cold, left out).
#include "dmf/eval/popularity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "dmf/eval/owned_user_items.hpp"
#include "dmf/eval/ranking_eval.hpp"
#include "support/temp_dir.hpp"

namespace dmf::eval {
namespace {

struct Pair {
  int user;
  int item;
};

/// Training pairs: item popularity falls with its index (ties among many
/// items), IDs spread and listed backwards. Test pairs: other items of the
/// same users, a few of items or users unknown to training.
std::vector<Pair> training_pairs() {
  std::vector<Pair> pairs;
  for (int u = 40; u-- > 0;) {
    for (int i = 0; i < 30; ++i) {
      if ((u * 7 + i * 3) % (i / 6 + 2) == 0) pairs.push_back({u * 10 + 3, 900 - i * 11});
    }
  }
  return pairs;
}

std::vector<Pair> test_pairs() {
  std::vector<Pair> pairs;
  for (int u = 0; u < 42; ++u) {    // users 40 and 41 never trained
    for (int i = 0; i < 32; ++i) {  // items 30 and 31 never trained
      if ((u * 5 + i * 13) % 9 == 0) pairs.push_back({u * 10 + 3, 900 - i * 11});
    }
  }
  return pairs;
}

std::string csv(const std::vector<Pair>& pairs) {
  std::string text = "user,item,count\n";
  for (const auto& p : pairs) text += fmt::format("{},{},{}\n", p.user, p.item, 1 + p.item % 4);
  return text;
}

struct Brute {
  double precision = 0;
  double ndcg = 0;
  std::uint64_t ranked = 0;
  std::uint64_t users = 0;
};

/// precision@k and NDCG@k of the popularity ranking, every item counted,
/// means over the users with a relevant test item.
Brute brute_force(const std::vector<Pair>& train, const std::vector<Pair>& test, int k) {
  std::map<int, int> users_of;           // item -> training users
  std::map<int, std::set<int>> trained;  // user -> training items
  for (const auto& p : train) {
    if (trained[p.user].insert(p.item).second) ++users_of[p.item];
  }
  Brute out;
  out.users = trained.size();
  for (const auto& [user, own] : trained) {
    std::set<int> relevant;
    for (const auto& p : test) {
      if (p.user == user && users_of.contains(p.item) && !own.contains(p.item)) {
        relevant.insert(p.item);
      }
    }
    if (relevant.empty()) continue;
    std::vector<int> candidates;
    for (const auto& [item, count] : users_of) {
      if (!own.contains(item)) candidates.push_back(item);
    }
    std::ranges::sort(candidates, [&](int a, int b) {
      return users_of[a] != users_of[b] ? users_of[a] > users_of[b] : a < b;
    });
    double hits = 0;
    double dcg = 0;
    for (std::size_t j = 0; j < candidates.size() && j < static_cast<std::size_t>(k); ++j) {
      if (relevant.contains(candidates[j])) {
        hits += 1;
        dcg += 1 / std::log2(static_cast<double>(j) + 2);
      }
    }
    double ideal = 0;
    for (std::size_t j = 0; j < relevant.size() && j < static_cast<std::size_t>(k); ++j) {
      ideal += 1 / std::log2(static_cast<double>(j) + 2);
    }
    out.precision += hits / k;
    out.ndcg += dcg / ideal;
    ++out.ranked;
  }
  out.precision /= static_cast<double>(out.ranked);
  out.ndcg /= static_cast<double>(out.ranked);
  return out;
}

TEST(Popularity, RanksByTrainingUsersLikeTheBruteForce) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto train = training_pairs();
  const auto test = test_pairs();
  const std::string train_path = dir.write("train.csv", csv(train));
  const std::string test_path = dir.write("test.csv", csv(test));
  data::LoadOptions load;
  load.threads = 2;
  const model::LoadedModel baseline =
      popularity_model(comm, data::load_ratings(comm, train_path, load));
  const OwnedUserItems held_out = group_by_owned_user(
      comm, baseline.users, baseline.items, data::read_ratings_here(comm, test_path, load));
  const OwnedUserItems rated = group_by_owned_user(comm, baseline.users, baseline.items,
                                                   data::read_ratings_here(comm, train_path, load));
  const auto queries = ranking_queries(held_out.of_user, rated.of_user, std::nullopt);

  // k = 5, and k past the 30 items of the catalogue.
  for (const int k : {5, 40}) {
    SCOPED_TRACE(k);
    const std::vector<MetricSpec> metrics{{MetricKind::kPrecision, k}, {MetricKind::kNdcg, k}};
    const RankingFigures got = ranking_figures(comm, baseline.model, queries, metrics, 2);
    const Brute want = brute_force(train, test, k);
    ASSERT_GT(want.ranked, 10U);
    EXPECT_EQ(got.items, 30U);
    EXPECT_EQ(got.users_ranked, want.ranked);
    EXPECT_EQ(got.users_skipped, want.users - want.ranked);
    ASSERT_TRUE(got.values[0].has_value() && got.values[1].has_value());
    EXPECT_NEAR(*got.values[0], want.precision, 1e-12);
    EXPECT_NEAR(*got.values[1], want.ndcg, 1e-12);
  }
  // Test pairs of an item or user training never saw cannot be ranked.
  std::uint64_t cold = 0;
  for (const auto& p : test) cold += (p.user > 400 || p.item < 900 - 29 * 11) ? 1 : 0;
  EXPECT_GT(cold, 0U);
  EXPECT_EQ(held_out.cold, cold);
}

}  // namespace
}  // namespace dmf::eval
