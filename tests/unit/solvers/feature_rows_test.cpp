// ALS's copy of the other side's rows: every factor and bias where the
// kernels look for it, rows on cache-line boundaries, from the model's rows
// and from the exchange's packed ones alike.
#include "dmf/solvers/als/feature_rows.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace dmf::solvers {
namespace {

void expect_rows(const FeatureRows& rows, const model::FactorBlock& block) {
  const auto k = static_cast<std::size_t>(block.k);
  EXPECT_GE(rows.stride(), k);
  EXPECT_EQ(rows.stride() % 16, 0U);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(rows.factors()) % 64, 0U);
  std::size_t wrong = 0;  // counted, not asserted one by one: 660k values
  for (std::uint32_t r = 0; r < block.rows; ++r) {
    for (std::size_t c = 0; c < k; ++c)
      wrong += rows.factors()[r * rows.stride() + c] != block.row(r)[c];
    wrong += rows.biases()[r] != block.bias[r];
  }
  EXPECT_EQ(wrong, 0U);
}

TEST(FeatureRows, HoldTheModelsRowsAndThePackedOnes) {
  FeatureRows rows;
  // Growing, shrinking and growing again past a huge page (2 MiB).
  for (const auto& [count, k] : {std::pair{5U, 3}, std::pair{40U, 64}, std::pair{9000U, 70},
                                 std::pair{7U, 16}, std::pair{20000U, 33}}) {
    SCOPED_TRACE(testing::Message() << count << " rows, k " << k);
    model::FactorBlock block(0, count, count, k);
    for (std::size_t i = 0; i < block.factors.size(); ++i)
      block.factors[i] = 0.5F * static_cast<float>(i);
    for (std::uint32_t r = 0; r < count; ++r) block.bias[r] = -static_cast<float>(r);
    rows.assign(block, 2);
    expect_rows(rows, block);
    std::vector<float> packed;
    for (std::uint32_t r = 0; r < count; ++r) {
      packed.insert(packed.end(), block.row(r).begin(), block.row(r).end());
      packed.push_back(block.bias[r]);
    }
    FeatureRows from_packed;
    from_packed.assign_packed(packed, count, k, 2);
    expect_rows(from_packed, block);
  }
}

}  // namespace
}  // namespace dmf::solvers
