#include "dmf/core/huge_pages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/core/uninitialized.hpp"

namespace dmf {
namespace {

// Large enough (8 MiB) that the 2 MiB hint is given.
constexpr std::size_t kWords = std::size_t{2} << 20U;

TEST(SizeOnHugePages, SizesToNWithRoomForMore) {
  std::vector<std::uint32_t> v;
  size_on_huge_pages(v, kWords, 2 * kWords);
  EXPECT_EQ(v.size(), kWords);
  EXPECT_GE(v.capacity(), 2 * kWords);
  EXPECT_TRUE(std::ranges::all_of(v, [](std::uint32_t x) { return x == 0; }));

  std::vector<float> small;
  size_on_huge_pages(small, 10, 25);  // no hint; the room all the same
  EXPECT_EQ(small, std::vector<float>(10, 0.0F));
  EXPECT_GE(small.capacity(), 25U);
}

TEST(SizeOnHugePages, ALaterSizingWithinTheRoomUsesTheSameMemory) {
  // What the text load's item side relies on: its send arrays take the
  // pages the user side's order was given, allocating nothing new.
  UninitVector<std::uint32_t> v;
  size_on_huge_pages(v, kWords, 2 * kWords);
  const std::uint32_t* before = v.data();
  std::fill(v.begin(), v.end(), 7U);
  v.clear();
  size_on_huge_pages(v, 2 * kWords);
  EXPECT_EQ(v.data(), before);
  EXPECT_EQ(v.size(), 2 * kWords);

  // Past the room, a new allocation.
  v.clear();
  size_on_huge_pages(v, 3 * kWords);
  EXPECT_EQ(v.size(), 3 * kWords);
}

TEST(SizeOnHugePages, WritesOneNumberPer4KiB) {
  // The kernel hands out pages zeroed; the sizing touches each 4 KiB once
  // and leaves the rest as the memory held it. unsigned char, whose
  // unwritten values may be read.
  // Any number of threads, each touching its share of the pages, the last
  // one partly filled.
  const std::size_t n = 4 * kWords + 100;
  for (const int threads : {1, 2, 3}) {
    UninitVector<unsigned char> v;
    size_on_huge_pages(v, n, 0, threads);
    std::fill(v.begin(), v.end(), static_cast<unsigned char>(0xAB));
    v.clear();
    size_on_huge_pages(v, n, 0, threads);
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < n; ++i) zeros += v[i] == 0 ? 1 : 0;
    EXPECT_EQ(zeros, (n + 4095) / 4096) << threads << " threads";
    EXPECT_EQ(v[0], 0);
    EXPECT_EQ(v[n - 1 - (n - 1) % 4096], 0);
    EXPECT_EQ(v[1], 0xAB);
  }
}

TEST(SizeOnHugePages, RefusesAFilledArray) {
  std::vector<std::uint32_t> v(3, 1U);
  EXPECT_THROW(size_on_huge_pages(v, 10), Error);
}

}  // namespace
}  // namespace dmf
