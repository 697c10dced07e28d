// The item blocks of DSGD going round the ranks (docs/design.md §4, sgd).
// At the start of an epoch every rank holds its own item block (its owned
// item rows with their adagrad sums); after each sub-epoch every rank hands
// its block to the rank before it and takes the one of the rank after it,
// so in sub-epoch s rank p holds block (p + s) mod P, and after P moves
// every block is back on its owner.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"

namespace dmf::solvers::sgd {

/// One item block's rows: global rows [first_row, first_row + rows).
struct ItemBlock {
  int index = 0;  // which block (= its owner rank)
  std::uint32_t first_row = 0;
  std::uint32_t rows = 0;
  std::vector<float> factors;       // rows × k
  std::vector<float> bias;          // rows
  std::vector<float> factor_state;  // rows × state width, or empty (no adagrad)
  std::vector<float> bias_state;    // rows, or empty
};

class ItemRing {
 public:
  /// `item_starts`: the first global row of each rank's items, then the
  /// total. `state_width`: adagrad sums per factor row carried with the rows
  /// (0: none, and none for the biases either; else one per bias too).
  ItemRing(const dist::Comm& comm, std::vector<std::uint32_t> item_starts, int k, int state_width);

  /// An empty block shaped as block `index` (zero everywhere).
  [[nodiscard]] ItemBlock empty_block(int index) const;
  /// Collective: `block` goes to rank − 1 and is replaced by the block of
  /// rank + 1 (nothing moves on one rank). With `with_state` false only the
  /// factors and biases move (the blocks' sums then are left empty).
  /// Returns the bytes sent.
  std::uint64_t shift(ItemBlock& block, bool with_state);

  [[nodiscard]] std::span<const std::uint32_t> item_starts() const noexcept { return item_starts_; }

 private:
  dist::Comm comm_;
  std::vector<std::uint32_t> item_starts_;
  int k_ = 0;
  int state_width_ = 0;
  std::vector<float> send_, receive_;
};

}  // namespace dmf::solvers::sgd
