#include "dmf/data/token_table.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/token_interner.hpp"

namespace dmf::data {
namespace {

TEST(CanonicalInteger, AcceptsOnlyTheCanonicalText) {
  for (const char* yes : {"0", "7", "42", "-1", "123456789012345678901234567890"}) {
    EXPECT_TRUE(is_canonical_integer(yes)) << yes;
  }
  for (const char* no : {"", "-", "-0", "007", "0104257", "+5", "1.0", "1e3", "tt01", " 1"}) {
    EXPECT_FALSE(is_canonical_integer(no)) << no;
  }
}

TEST(TokenOrder, NumericOrderMatchesIntegerOrder) {
  // Against an independent reference: the values themselves.
  std::vector<long long> values;
  Rng rng(5);
  for (int k = 0; k < 2000; ++k) {
    const auto magnitude = static_cast<long long>(rng.below(1ULL << (1 + rng.below(40))));
    values.push_back(rng.below(3) == 0 ? -magnitude : magnitude);
  }
  std::vector<std::string> texts;
  for (auto v : values) texts.push_back(std::to_string(v));
  std::ranges::sort(texts, TokenOrder(true));
  std::ranges::sort(values);
  for (std::size_t k = 0; k < values.size(); ++k) EXPECT_EQ(texts[k], std::to_string(values[k]));
}

TEST(TokenOrder, BytewiseKeepsLeadingZerosApart) {
  std::vector<std::string> ids{"tt10", "0104257", "104257", "tt09", "A"};
  std::ranges::sort(ids, TokenOrder(false));
  EXPECT_EQ(ids, (std::vector<std::string>{"0104257", "104257", "A", "tt09", "tt10"}));
}

TEST(TokenInterner, NumbersTokensInOrderOfFirstSight) {
  TokenInterner interner;
  std::vector<std::string> seen;
  std::map<std::string, std::uint32_t> reference;
  Rng rng(9);
  // Enough distinct tokens to force several rehashes.
  for (int k = 0; k < 50000; ++k) {
    const std::string token = "id" + std::to_string(rng.below(20000));
    const auto [it, inserted] = reference.emplace(token, static_cast<std::uint32_t>(seen.size()));
    if (inserted) seen.push_back(token);
    ASSERT_EQ(interner.intern(token), it->second) << token;
  }
  ASSERT_EQ(interner.size(), seen.size());
  for (std::size_t k = 0; k < seen.size(); ++k) EXPECT_EQ(interner.tokens()[k], seen[k]);
  const TokenTable released = interner.release();
  EXPECT_EQ(released.size(), seen.size());
  EXPECT_EQ(interner.size(), 0U);
}

}  // namespace
}  // namespace dmf::data

namespace dmf::data {
namespace {

TEST(TokenInterner, IntegerAndTextTokensNeverMerge) {
  // Canonical integers take the by-value path, the rest the text path:
  // "7", "007" and "-7" are three IDs, and repeats find their first number.
  TokenInterner interner;
  std::map<std::string, std::uint32_t> reference;
  Rng rng(21);
  for (int k = 0; k < 40000; ++k) {
    const auto v = static_cast<long long>(rng.below(3000));
    std::string token;
    switch (rng.below(4)) {
      case 0:
        token = std::to_string(v);
        break;
      case 1:
        token = fmt::format("-{}", v);
        break;  // "-0" is text
      case 2:
        token = fmt::format("00{}", v);
        break;
      default:
        token = fmt::format("{}123456789012345678", v);
        break;  // too long for int64
    }
    const auto [it, inserted] =
        reference.emplace(token, static_cast<std::uint32_t>(reference.size()));
    ASSERT_EQ(interner.intern(token), it->second) << token;
    ASSERT_EQ(interner.intern(token), it->second) << token << " (repeated)";
  }
  EXPECT_EQ(interner.size(), reference.size());
  for (const auto& [token, id] : reference) EXPECT_EQ(interner.tokens()[id], token);
}

}  // namespace
}  // namespace dmf::data

namespace dmf::data {
namespace {

TEST(TokenInterner, IntegersKeepTheirNumberWhenTheDenseTableGrowsOverThem) {
  // 3,000,000 is too large for the dense table at first (hashed); 400,000
  // small IDs later let the table grow over it: it must keep its number.
  TokenInterner interner;
  EXPECT_EQ(interner.intern("3000000"), 0U);
  EXPECT_EQ(interner.intern("-5"), 1U);
  for (std::uint32_t v = 0; v < 400'000; ++v) {
    ASSERT_EQ(interner.intern(std::to_string(v * 7)), v + 2) << v * 7;
  }
  EXPECT_EQ(interner.intern("3000000"), 0U);
  EXPECT_EQ(interner.intern("-5"), 1U);
  EXPECT_EQ(interner.intern("2799993"), 399'999U + 2);
  EXPECT_EQ(interner.size(), 400'002U);
}

}  // namespace
}  // namespace dmf::data
