#include "dmf/data/partition.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"

namespace dmf::data {

int Ownership::owner(std::uint32_t row) const {
  DMF_CHECK(row < total_rows(), "row {} outside the {} rows of this side", row, total_rows());
  // The last part whose range starts at or before row; empty parts share
  // their begin with the next part, and upper_bound skips past them.
  const auto it = std::upper_bound(begin_.begin(), begin_.end() - 1, row);
  return static_cast<int>(it - begin_.begin()) - 1;
}

}  // namespace dmf::data
