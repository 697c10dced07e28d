// Which rows of the other side a rank's ratings need, and where each rating
// finds its row among them: the wanted list of a solver's exchange plan
// (ALS, CCD++; docs/design.md §4) and the per-rating slots its row kernels
// read fetched rows by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace dmf::solvers {

/// Column ranges up to this many entries per rating, plus kMarksAlways, are
/// marked; larger ones are sorted (distinct_columns).
inline constexpr std::size_t kMarksPerRating = 4;
inline constexpr std::size_t kMarksAlways = std::size_t{1} << 20;

/// The ascending distinct values of `columns` (global row numbers of the
/// other side), and in `slots` for each entry the index of its value among
/// them. A column range of at most `max_marked` (by default what the
/// ratings' count allows) is marked, one entry per row of the range, and
/// read in order: O(ratings + range), where a sort and a binary search per
/// rating cost about one ALS epoch on 10M ratings. A wider range (a few
/// ratings over a huge side) sorts, so the marks never outweigh the
/// ratings. Both give the same result.
std::vector<std::uint32_t> distinct_columns(std::span<const std::uint32_t> columns,
                                            std::vector<std::uint32_t>& slots,
                                            std::size_t max_marked);
inline std::vector<std::uint32_t> distinct_columns(std::span<const std::uint32_t> columns,
                                                   std::vector<std::uint32_t>& slots) {
  return distinct_columns(columns, slots, kMarksPerRating * columns.size() + kMarksAlways);
}

}  // namespace dmf::solvers
