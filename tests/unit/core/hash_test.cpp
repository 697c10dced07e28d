#include "dmf/core/hash.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dmf/core/rng.hpp"

namespace dmf {
namespace {

// These values are part of the determinism contract: initial factors and
// split membership depend on them. A change here changes every model.
TEST(Hash, KnownValuesNeverChange) {
  EXPECT_EQ(hash_bytes("", 0), 0x2d06800538d394c2ULL);  // XXH3-64 of the empty input
  EXPECT_EQ(mix64(0), 0xe220a8397b1dcdafULL);          // SplitMix64 of 0
}

TEST(Hash, CombineIsOrderSensitive) {
  EXPECT_NE(combine(1, 2), combine(2, 1));
  EXPECT_EQ(combine(1, 2, 3), combine(combine(1, 2), 3));
}

TEST(Hash, TokensThatLookAlikeHashApart) {
  // Leading zeros matter: "0104257" and "104257" are different IDs.
  EXPECT_NE(hash_bytes("0104257"), hash_bytes("104257"));
}

TEST(Hash, UnitIntervalStaysInRange) {
  EXPECT_EQ(unit_interval(0), 0.0);
  EXPECT_LT(unit_interval(~0ULL), 1.0);
}

TEST(Rng, StreamsArePureFunctionsOfTheirKey) {
  auto a = Rng::for_stream(42, Stream::kUserFactors, 7);
  auto b = Rng::for_stream(42, Stream::kUserFactors, 7);
  auto c = Rng::for_stream(42, Stream::kItemFactors, 7);
  const auto first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
}

TEST(Rng, BelowIsUniformEnough) {
  Rng rng(1);
  std::array<int, 10> counts{};
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) ++counts.at(rng.below(10));
  for (int count : counts) EXPECT_NEAR(count, kDraws / 10, 600);  // > 6 sigma
}

TEST(Rng, NormalHasUnitMoments) {
  Rng rng(3);
  double sum = 0.0;
  double squares = 0.0;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    const double x = rng.normal();
    sum += x;
    squares += x * x;
  }
  EXPECT_NEAR(sum / kDraws, 0.0, 0.01);
  EXPECT_NEAR(squares / kDraws, 1.0, 0.02);
}

}  // namespace
}  // namespace dmf
