// The CCD++ fresh residuals computed a group of ratings at a time are, bit
// for bit, the residuals of the documented order (docs/design.md §4): the dot
// product in double over four interleaved partial sums, added 0+1, 2+3, then
// both; whatever the row's length (short last groups) and k (a tail of
// factors past the last multiple of four).
#include "dmf/solvers/ccd/coordinate.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace dmf::solvers::ccd {
namespace {

/// r − μ − (b_u + b_i) − p·q in the documented order, one rating alone.
float reference_residual(float r, double mu, float bu, float bi, const float* p, const float* q,
                         std::size_t k) {
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  for (std::size_t f = 0; f < k; ++f) {
    sum[f % 4] += static_cast<double>(p[f]) * static_cast<double>(q[f]);
  }
  const double dot = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  return static_cast<float>(static_cast<double>(r) - mu -
                            (static_cast<double>(bu) + static_cast<double>(bi)) - dot);
}

TEST(CcdFreshResiduals, AGroupAtATimeGivesEachRatingsResidualBitForBit) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> value(-1.5F, 1.5F);
  for (const std::size_t k : {std::size_t{1}, std::size_t{5}, std::size_t{8}, std::size_t{64}}) {
    const std::size_t width = k + 1;
    const std::size_t others = 13;
    std::vector<float> rows(others * width);
    for (float& x : rows) x = value(rng);
    std::vector<float> own(k);
    for (float& x : own) x = value(rng);
    const float own_bias = value(rng);
    const double mu = 3.25;
    for (std::size_t n = 0; n <= 2 * kFreshGroup + 3; ++n) {
      SCOPED_TRACE(testing::Message() << "k " << k << ", " << n << " ratings");
      std::vector<float> ratings(n);
      std::vector<std::uint32_t> slots(n);
      for (std::size_t j = 0; j < n; ++j) {
        ratings[j] = 1.0F + 4.0F * std::uniform_real_distribution<float>(0.0F, 1.0F)(rng);
        slots[j] = static_cast<std::uint32_t>(rng() % others);
      }
      std::vector<float> got(n, -99.0F);
      fresh_residuals_of_row(ratings, slots, mu, own_bias, own, rows.data(), width, got);
      for (std::size_t j = 0; j < n; ++j) {
        const float* q = rows.data() + slots[j] * width;
        const float want = reference_residual(ratings[j], mu, own_bias, q[k], own.data(), q, k);
        EXPECT_EQ(std::bit_cast<std::uint32_t>(got[j]), std::bit_cast<std::uint32_t>(want))
            << "rating " << j;
        EXPECT_EQ(std::bit_cast<std::uint32_t>(
                      fresh_residual(ratings[j], mu, own_bias, q[k], own, std::span(q, k))),
                  std::bit_cast<std::uint32_t>(want))
            << "rating " << j << " alone";
      }
    }
  }
}

}  // namespace
}  // namespace dmf::solvers::ccd
