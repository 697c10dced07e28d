#include "dmf/model/row_pack.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"

namespace dmf::model {

void pack_rows(const FactorBlock& block, std::vector<float>& out) {
  const std::size_t width = packed_width(block);
  out.resize(static_cast<std::size_t>(block.rows) * width);
  for (std::uint32_t r = 0; r < block.rows; ++r) {
    const auto row = block.row(r);
    float* to = out.data() + static_cast<std::size_t>(r) * width;
    std::ranges::copy(row, to);
    to[block.width()] = block.bias[r];
  }
}

std::vector<std::uint32_t> row_boundaries(const dist::Comm& comm, const FactorBlock& block) {
  auto boundaries = comm.allgather(block.first_row);
  boundaries.push_back(block.total_rows);
  DMF_CHECK(std::ranges::is_sorted(boundaries), "row blocks are not in rank order");
  return boundaries;
}

}  // namespace dmf::model
