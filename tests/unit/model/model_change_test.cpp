// The squared change between two states of a factor block (--tol-params),
// against a plain sum in long double over the same rows: its lanes may round
// apart from one chain, by far less than the stopping rule can see.
#include "dmf/model/model_change.hpp"

#include <gtest/gtest.h>

#include <random>

namespace dmf::model {
namespace {

SquaredChange reference(const FactorBlock& now, const FactorBlock& before, std::uint32_t first,
                        std::uint32_t count) {
  long double difference = 0.0L;
  long double base = 0.0L;
  const auto add = [&](float a, float b) {
    const long double d = static_cast<long double>(a) - b;
    difference += d * d;
    base += static_cast<long double>(b) * b;
  };
  for (std::uint32_t r = first; r < first + count; ++r) {
    for (std::size_t f = 0; f < now.width(); ++f) add(now.row(r)[f], before.row(r)[f]);
    add(now.bias[r], before.bias[r]);
  }
  return {static_cast<double>(difference), static_cast<double>(base)};
}

TEST(ModelChange, TheSquaredChangeOfARowRangeIsThePlainSum) {
  std::mt19937 random(5);
  std::normal_distribution<float> value(0.0F, 1.0F);
  for (const int k : {1, 7, 8, 64}) {
    for (const std::uint32_t rows : {1U, 3U, 17U, 100U}) {
      FactorBlock before(0, rows, rows, k);
      FactorBlock now(0, rows, rows, k);
      for (std::size_t j = 0; j < now.factors.size(); ++j) {
        before.factors[j] = value(random);
        now.factors[j] = before.factors[j] + 0.01F * value(random);
      }
      for (std::uint32_t r = 0; r < rows; ++r) {
        before.bias[r] = value(random);
        now.bias[r] = before.bias[r] + value(random);
      }
      for (const auto& [first, count] : {std::pair{0U, rows}, std::pair{rows / 3, rows - rows / 3},
                                         std::pair{rows - 1, 1U}, std::pair{0U, 0U}}) {
        const SquaredChange got = squared_change(now, before, first, count);
        const SquaredChange want = reference(now, before, first, count);
        EXPECT_NEAR(got.difference, want.difference, 1e-13 * want.difference)
            << "k " << k << ", rows [" << first << ", " << first + count << ")";
        EXPECT_NEAR(got.before, want.before, 1e-13 * want.before)
            << "k " << k << ", rows [" << first << ", " << first + count << ")";
      }
    }
  }
}

}  // namespace
}  // namespace dmf::model
