#include "dmf/solvers/distinct_columns.hpp"

#include <algorithm>

namespace dmf::solvers {

std::vector<std::uint32_t> distinct_columns(std::span<const std::uint32_t> columns,
                                            std::vector<std::uint32_t>& slots,
                                            std::size_t max_marked) {
  slots.resize(columns.size());
  if (columns.empty()) return {};
  const std::size_t range = std::size_t{std::ranges::max(columns)} + 1;
  std::vector<std::uint32_t> distinct;
  if (range <= max_marked) {
    constexpr std::uint32_t kAbsent = ~std::uint32_t{0};
    std::vector<std::uint32_t> slot_of(range, kAbsent);
    for (const std::uint32_t c : columns) slot_of[c] = 0;
    for (std::size_t c = 0; c < range; ++c) {
      if (slot_of[c] == kAbsent) continue;
      slot_of[c] = static_cast<std::uint32_t>(distinct.size());
      distinct.push_back(static_cast<std::uint32_t>(c));
    }
    for (std::size_t j = 0; j < columns.size(); ++j) slots[j] = slot_of[columns[j]];
    return distinct;
  }
  distinct.assign(columns.begin(), columns.end());
  std::ranges::sort(distinct);
  distinct.erase(std::ranges::unique(distinct).begin(), distinct.end());
  for (std::size_t j = 0; j < columns.size(); ++j) {
    slots[j] = static_cast<std::uint32_t>(std::ranges::lower_bound(distinct, columns[j]) -
                                          distinct.begin());
  }
  return distinct;
}

}  // namespace dmf::solvers
