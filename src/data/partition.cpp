#include "dmf/data/partition.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"
#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

int Ownership::owner(std::uint32_t row) const {
  DMF_CHECK(row < total_rows(), "row {} outside the {} rows of this side", row, total_rows());
  // The last part whose range starts at or before row; empty parts share
  // their begin with the next part, and upper_bound skips past them.
  const auto it = std::upper_bound(begin_.begin(), begin_.end() - 1, row);
  return static_cast<int>(it - begin_.begin()) - 1;
}

PartSizes partition_sizes(const dist::Comm& comm, const SparseBlock& block, int parts) {
  PartSizes sizes{std::vector<std::uint64_t>(static_cast<std::size_t>(parts), 0),
                  std::vector<std::uint64_t>(static_cast<std::size_t>(parts), 0)};
  const std::uint64_t total = comm.allreduce<std::uint64_t>(block.nnz(), dist::Op::kSum);
  // Rows are in canonical order across ranks, so a prefix sum over ranks
  // places each row exactly where the partitioner sees it.
  std::uint64_t prefix = comm.exscan_sum<std::uint64_t>(block.nnz());
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    const std::uint64_t degree = block.degree(r);
    const auto part = static_cast<std::size_t>(part_of(prefix, degree, total, parts));
    ++sizes.rows[part];
    sizes.ratings[part] += degree;
    prefix += degree;
  }
  comm.allreduce(std::span(sizes.rows), dist::Op::kSum);
  comm.allreduce(std::span(sizes.ratings), dist::Op::kSum);
  return sizes;
}

}  // namespace dmf::data
