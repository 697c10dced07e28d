#include "dmf/core/uninitialized.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

namespace dmf {
namespace {

TEST(UninitVector, ResizeLeavesTheNewNumbersUnwritten) {
  // The bytes of the capacity a cleared vector keeps are still there after
  // it grows again: resize wrote nothing (a std::vector would have zeroed
  // them). unsigned char, whose unwritten values may be read.
  UninitVector<unsigned char> v;
  v.assign(4096, 0xAB);
  const unsigned char* before = v.data();
  v.clear();
  v.resize(4096);
  ASSERT_EQ(v.data(), before);
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), std::uint64_t{0}), std::uint64_t{4096} * 0xAB);
}

TEST(UninitVector, ElementsGivenAValueHaveIt) {
  UninitVector<float> v(3, 1.5F);
  EXPECT_EQ(v, (UninitVector<float>{1.5F, 1.5F, 1.5F}));
  v.assign(2, 0.0F);
  v.push_back(2.0F);
  v.insert(v.begin(), 7.0F);
  EXPECT_EQ(v, (UninitVector<float>{7.0F, 0.0F, 0.0F, 2.0F}));
  UninitVector<std::uint32_t> copy(v.size());
  std::ranges::copy(UninitVector<std::uint32_t>{4, 3, 2, 1}, copy.begin());
  EXPECT_EQ(copy, (UninitVector<std::uint32_t>{4, 3, 2, 1}));
}

}  // namespace
}  // namespace dmf
