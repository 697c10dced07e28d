// One rank's ratings as DSGD and FPSGD visit them (docs/design.md §4, sgd).
//
// Across ranks (DSGD): the item rows are cut into P item blocks, the item
// owners' ranges; in sub-epoch s of an epoch rank p updates its users
// against item block (p + s) mod P. So the rank's ratings are grouped by item
// block, once, from its CSR.
//
// Inside a rank (FPSGD): each item block's ratings are cut into a G × G grid
// of cells (G ranges of the rank's users × G ranges of the block's items,
// balanced by ratings). A sub-epoch is G rounds; the G cells of a round share
// no user range and no item range, so threads update them at once without
// locks or races, and the result does not depend on which thread ran which
// cell or when. Within a cell the ratings are in the order of the rows of
// the longer side (the rank's users or the block's items), as LIBMF's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/data/sparse_block.hpp"

namespace dmf::solvers::sgd {

/// One rating as a cell holds it.
struct GridRating {
  std::uint32_t user;  // local user row
  std::uint32_t item;  // row within its item block
  float value;
};

/// A cell of an item block's grid: its user range and its item range.
struct Cell {
  int user = 0;
  int item = 0;
};

class BlockGrid {
 public:
  BlockGrid() = default;
  /// `csr` holds this rank's users' ratings (columns are global item rows);
  /// `item_starts` the first global row of each item block, then the total
  /// (P + 1 entries); `cells` is G.
  BlockGrid(const data::SparseBlock& csr, std::span<const std::uint32_t> item_starts, int cells);

  [[nodiscard]] int blocks() const noexcept { return blocks_; }
  [[nodiscard]] int cells() const noexcept { return cells_; }
  [[nodiscard]] std::uint64_t ratings() const noexcept { return ratings_.size(); }
  /// The ratings of one cell of item block `block`, in visiting order.
  [[nodiscard]] std::span<const GridRating> cell(int block, Cell cell) const;

 private:
  [[nodiscard]] std::size_t index(int block, Cell cell) const noexcept;

  int blocks_ = 0;
  int cells_ = 1;
  std::vector<GridRating> ratings_;    // cell after cell
  std::vector<std::uint64_t> starts_;  // blocks × G × G + 1 offsets into ratings_
};

/// The rounds of one sub-epoch of a G × G grid: G rounds of G cells. Within
/// a round no two cells share a user range or an item range; over the rounds
/// every cell comes exactly once. Which cells go together and in which order
/// the rounds come is a pure function of (seed, epoch, user block, item
/// block), so a resumed run visits in the order of an uninterrupted one.
[[nodiscard]] std::vector<std::vector<Cell>> cell_rounds(int cells, std::uint64_t seed,
                                                         std::uint64_t epoch, int user_block,
                                                         int item_block);

/// A cell of a sub-epoch with what it waits for: the positions (in the
/// rounds laid end to end) of the last cell before it sharing its user range
/// and of the last sharing its item range, -1 for none.
struct CellStep {
  Cell cell;
  int after_user = -1;
  int after_item = -1;
};

/// The cells of `rounds` in round order, each with its two predecessors.
/// Threads may run a cell as soon as both are done instead of waiting for
/// the whole round: every row still sees its cells in round order, so the
/// result is the rounds' bits (docs/design.md §4, sgd).
[[nodiscard]] std::vector<CellStep> cell_steps(const std::vector<std::vector<Cell>>& rounds);

/// The item block rank `rank` of `ranks` works on in sub-epoch `sub_epoch`.
[[nodiscard]] constexpr int item_block_of(int rank, int sub_epoch, int ranks) noexcept {
  return (rank + sub_epoch) % ranks;
}

}  // namespace dmf::solvers::sgd
