// distinct_columns, the wanted rows of the ALS and CCD++ exchange plans and
// each rating's slot among them: marking the column range and sorting give
// the same answer.
#include "dmf/solvers/distinct_columns.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dmf::solvers {
namespace {

TEST(DistinctColumns, MarkedAndSortedGiveTheAscendingDistinctColumnsAndEachSlot) {
  // The exchange plan's wanted rows and each rating's slot among them,
  // whether the column range is marked or sorted: duplicates, an unsorted
  // order across rows, a gap, the range's ends.
  const std::vector<std::uint32_t> columns{7, 2, 9, 2, 0, 7, 40, 9, 3};
  const std::vector<std::uint32_t> want{0, 2, 3, 7, 9, 40};
  for (const std::size_t max_marked : {std::size_t{0}, std::size_t{41}, std::size_t{1000}}) {
    SCOPED_TRACE(testing::Message() << "marks up to " << max_marked);
    std::vector<std::uint32_t> slots{99};
    EXPECT_EQ(distinct_columns(columns, slots, max_marked), want);
    ASSERT_EQ(slots.size(), columns.size());
    for (std::size_t j = 0; j < columns.size(); ++j) EXPECT_EQ(want[slots[j]], columns[j]);
  }
  std::vector<std::uint32_t> slots{5};
  EXPECT_TRUE(distinct_columns({}, slots).empty());
  EXPECT_TRUE(slots.empty());
}

}  // namespace
}  // namespace dmf::solvers
