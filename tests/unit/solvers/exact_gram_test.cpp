// The exact Gram sums (solvers/ials/exact_gram) against their definition
// written plainly, one product at a time: every integer the same, for ranks
// on both sides of the register tiles' widths (8) and row ranges on both
// sides of the blocks of rows (16), added to sums already there.
#include "dmf/solvers/ials/exact_gram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace dmf::solvers {
namespace {

TEST(AddGramTerms, AreTheTruncatedScaledProductsOneByOne) {
  std::mt19937 rng(31);
  std::normal_distribution<float> normal(0.0F, 0.7F);
  constexpr std::uint32_t kRows = 53;
  for (const int k : {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 33, 64, 65, 130}) {
    const auto width = static_cast<std::size_t>(k);
    model::FactorBlock block(0, kRows, kRows, k);
    for (auto& x : block.factors) x = normal(rng);
    // A tiny entry and a huge one: every product stays exact.
    block.factors[1 % block.factors.size()] = 3e-30F;
    block.factors[0] = 9.5F;
    float largest = 0.0F;
    for (const float x : block.factors) largest = std::max(largest, std::abs(x));
    const int exponent = gram_exponent(largest, kRows);
    for (const auto& [begin, end] : {std::pair{0U, kRows}, std::pair{3U, 19U}, std::pair{5U, 5U},
                                     std::pair{16U, 32U}, std::pair{40U, 53U}}) {
      SCOPED_TRACE(testing::Message() << "k " << k << ", rows " << begin << "-" << end);
      std::vector<std::int64_t> got(width * width);
      for (std::size_t e = 0; e < got.size(); ++e) got[e] = static_cast<std::int64_t>(e) - 7;
      std::vector<std::int64_t> want = got;
      add_gram_terms(block, begin, end, exponent, got);
      const double scale = std::ldexp(1.0, exponent);
      for (std::uint32_t r = begin; r < end; ++r) {
        const auto y = block.row(r);
        for (std::size_t a = 0; a < width; ++a) {
          for (std::size_t b = a; b < width; ++b) {
            want[a * width + b] +=
                static_cast<std::int64_t>(static_cast<double>(y[a]) * scale * y[b]);
          }
        }
      }
      EXPECT_EQ(got, want);
    }
  }
}

}  // namespace
}  // namespace dmf::solvers
