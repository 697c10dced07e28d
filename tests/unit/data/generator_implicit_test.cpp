// dmf generate --feedback implicit, the model alone (one process; the file
// and its bytes on 1-4 ranks are tests/mpi/generator_test.cpp's): every user
// gets its number of distinct items with positive whole play counts, item
// popularity follows the power law, the draws follow each user's tastes,
// and the counts are larger for a favoured taste.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/data/generator.hpp"

namespace dmf::data {
namespace {

GeneratorOptions implicit(std::uint64_t users = 2000, std::uint64_t items = 2000,
                          std::uint64_t pairs = 40000) {
  GeneratorOptions o;
  o.feedback = GeneratedFeedback::kImplicit;
  o.users = users;
  o.items = items;
  o.ratings = pairs;
  o.skew = 0.3;
  o.popularity_exponent = 0.75;
  o.seed = 4;
  return o;
}

TEST(GeneratorImplicit, DistinctItemsWithPositiveWholeCounts) {
  const auto o = implicit();
  const SyntheticModel model(o);
  std::uint64_t total = 0;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    const auto ratings = model.ratings_for(u);
    ASSERT_EQ(ratings.size(), model.ratings_of(u));
    std::set<std::uint64_t> items;
    for (const auto& r : ratings) {
      EXPECT_LT(r.item, o.items);
      EXPECT_TRUE(items.insert(r.item).second)
          << "user " << u << " has item " << r.item << " twice";
      EXPECT_GE(r.value, 1.0F);
      EXPECT_EQ(r.value, std::round(r.value)) << "a count that is not a whole number";
    }
    total += ratings.size();
  }
  EXPECT_EQ(total, o.ratings);
}

TEST(GeneratorImplicit, UsersThatWantMostItemsGetThemExactly) {
  // Users wanting nearly the whole catalogue run out of their tastes' items
  // and finish with the exact sampler; two tastes, one item each at K = I.
  for (const auto& o : {implicit(30, 40, 1000), implicit(10, 3, 30), implicit(5, 200, 900)}) {
    auto shaped = o;
    shaped.true_rank = static_cast<int>(std::min<std::uint64_t>(o.items, 10));
    const SyntheticModel model(shaped);
    std::uint64_t total = 0;
    for (std::uint64_t u = 0; u < o.users; ++u) {
      const auto ratings = model.ratings_for(u);
      std::set<std::uint64_t> items;
      for (const auto& r : ratings) items.insert(r.item);
      EXPECT_EQ(items.size(), model.ratings_of(u));
      total += items.size();
    }
    EXPECT_EQ(total, o.ratings);
  }
}

/// The share of all pairs held by the most popular `fraction` of the items.
double top_share(const SyntheticModel& model, double fraction) {
  std::vector<std::uint64_t> counts(model.options().items, 0);
  for (std::uint64_t u = 0; u < model.options().users; ++u) {
    for (const auto& r : model.ratings_for(u)) ++counts[r.item];
  }
  std::ranges::sort(counts, std::greater<>());
  const auto top = static_cast<std::ptrdiff_t>(fraction * static_cast<double>(counts.size()));
  const auto held = std::accumulate(counts.begin(), counts.begin() + top, std::uint64_t{0});
  return static_cast<double>(held) / static_cast<double>(model.options().ratings);
}

TEST(GeneratorImplicit, ItemPopularityFollowsThePowerLaw) {
  // Item r (by popularity) is drawn in proportion to (r + 1)^-E: at E = 1 on
  // 2000 items the top 20 have H(20) / H(2000) = 44% of the weight, but each
  // user holds an item once, which caps the head (2000 users with 20 items
  // each: measured 26%); at E = 0.5, 7.9 / 88 = 9% of the weight (measured
  // 7.7%); at E = 0 every item is alike: 1%.
  auto o = implicit();
  o.popularity_exponent = 1.0;
  EXPECT_GT(top_share(SyntheticModel(o), 0.01), 0.22);
  o.popularity_exponent = 0.5;
  const double half = top_share(SyntheticModel(o), 0.01);
  EXPECT_GT(half, 0.06);
  EXPECT_LT(half, 0.10);
  o.popularity_exponent = 0.0;
  EXPECT_LT(top_share(SyntheticModel(o), 0.01), 0.02);
}

TEST(GeneratorImplicit, DrawsFollowEachUsersTastes) {
  // A user's items come from taste g with chance theta_u,g. Over all users,
  // the share of draws from each user's j-th favourite taste is the mean of
  // the j-th largest theta. Without replacement, an item drawn takes its
  // weight out of its taste; with 20 draws from 2000 items of equal
  // popularity per taste that changes the shares by well under 1%.
  auto o = implicit(1000, 20000, 20000);
  o.popularity_exponent = 0.0;
  const SyntheticModel model(o);
  const auto k = static_cast<std::size_t>(o.true_rank);
  std::vector<double> expected(k, 0.0);
  std::vector<double> drawn(k, 0.0);
  for (std::uint64_t u = 0; u < o.users; ++u) {
    const auto theta = model.tastes(u);
    ASSERT_EQ(theta.size(), k);
    EXPECT_NEAR(std::accumulate(theta.begin(), theta.end(), 0.0), 1.0, 1e-12);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), 0U);
    std::ranges::sort(order, [&](auto a, auto b) { return theta[a] > theta[b]; });
    std::vector<std::size_t> place(k);
    for (std::size_t j = 0; j < k; ++j) place[order[j]] = j;
    const auto ratings = model.ratings_for(u);
    for (std::size_t j = 0; j < k; ++j)
      expected[j] += theta[order[j]] * static_cast<double>(ratings.size());
    for (const auto& r : ratings) drawn[place[model.taste_of(r.item)]] += 1.0;
  }
  for (std::size_t j = 0; j < k; ++j) {
    EXPECT_NEAR(drawn[j] / static_cast<double>(o.ratings),
                expected[j] / static_cast<double>(o.ratings), 0.01)
        << "favourite " << j;
  }
  // The favourite taste takes far more than a K-th: the preference is real.
  EXPECT_GT(drawn[0] / static_cast<double>(o.ratings), 3.0 / static_cast<double>(k));
  // preference() is that chance item by item: it sums to 1 over the items.
  double sum = 0.0;
  for (std::uint64_t i = 0; i < o.items; ++i) sum += model.preference(7, i);
  EXPECT_NEAR(sum, 1.0, 1e-9);
}

TEST(GeneratorImplicit, FavouredTastesArePlayedMore) {
  // log c = log 50 + 1.2 eps + log(K theta) / 2: the mean log count of a
  // pair, less half of log(K theta), is log 50 whatever the taste.
  const auto o = implicit();
  const SyntheticModel model(o);
  double residual = 0.0;
  double favoured = 0.0;
  double other = 0.0;
  std::uint64_t favoured_n = 0;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    const auto theta = model.tastes(u);
    const auto best = static_cast<std::uint32_t>(std::ranges::max_element(theta) - theta.begin());
    for (const auto& r : model.ratings_for(u)) {
      const double log_count = std::log(static_cast<double>(r.value));
      const double g = theta[model.taste_of(r.item)];
      residual += log_count - 0.5 * std::log(static_cast<double>(o.true_rank) * g);
      if (model.taste_of(r.item) == best) {
        favoured += log_count;
        ++favoured_n;
      } else {
        other += log_count;
      }
    }
  }
  // Rounding to whole counts moves the mean log by well under 0.01 at 50.
  EXPECT_NEAR(residual / static_cast<double>(o.ratings), std::log(50.0), 0.03);
  EXPECT_GT(favoured / static_cast<double>(favoured_n),
            other / static_cast<double>(o.ratings - favoured_n) + 0.3);
}

TEST(GeneratorImplicit, DefaultsAndRefusals) {
  EXPECT_EQ(default_exponents(GeneratedFeedback::kImplicit).activity, 0.3);
  EXPECT_EQ(default_exponents(GeneratedFeedback::kImplicit).popularity, 0.75);
  EXPECT_EQ(default_exponents(GeneratedFeedback::kExplicit).popularity, 0.8);
  auto o = implicit(10, 5, 20);
  o.true_rank = 6;
  try {
    const SyntheticModel model(o);
    ADD_FAILURE() << "no error for more tastes than items";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "--true-rank 6 is more than --items 5: with --feedback implicit every one of the "
                 "K tastes needs an item");
  }
  o = implicit();
  o.popularity_exponent = -1;
  EXPECT_THROW(SyntheticModel{o}, Error);
  // The explicit model has no tastes.
  EXPECT_THROW((void)SyntheticModel(GeneratorOptions{}).tastes(0), Error);
}

}  // namespace
}  // namespace dmf::data
