// The item blocks of DSGD going round the ranks (docs/design.md §4, sgd).
// At the start of an epoch every rank holds its own item block (its owned
// item rows with their adagrad sums); after each sub-epoch every rank hands
// its block to the rank before it and takes the one of the rank after it,
// so in sub-epoch s rank p holds block (p + s) mod P, and after P moves
// every block is back on its owner.
//
// A block is one array (factors, biases, then their sums), so a move is one
// MPI_Sendrecv straight from it into the ring's spare array, and the two
// arrays then trade places: nothing is packed or unpacked. When every rank
// runs on one node, the blocks with their sums live in a shared-memory
// window instead, each in its owner's segment, and a move copies nothing:
// the rank hands the segment it worked in to the rank before it and takes
// the next one (dist::SharedWindow::handover).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/dist/shared_window.hpp"

namespace dmf::solvers::sgd {

/// One item block's rows: global rows [first_row, first_row + rows).
class ItemBlock {
 public:
  ItemBlock() = default;

  int index = 0;  // which block (= its owner rank)
  std::uint32_t first_row = 0;
  std::uint32_t rows = 0;

  /// rows × k factors.
  [[nodiscard]] std::span<float> factors() noexcept { return part(0, rows * k_); }
  [[nodiscard]] std::span<const float> factors() const noexcept { return part(0, rows * k_); }
  /// One bias per row.
  [[nodiscard]] std::span<float> bias() noexcept { return part(rows * k_, rows); }
  [[nodiscard]] std::span<const float> bias() const noexcept { return part(rows * k_, rows); }
  /// The factors' adagrad sums, rows × state width (empty without the state).
  [[nodiscard]] std::span<float> factor_state() noexcept {
    return part(rows * (k_ + 1), rows * state_width_);
  }
  [[nodiscard]] std::span<const float> factor_state() const noexcept {
    return part(rows * (k_ + 1), rows * state_width_);
  }
  /// The biases' adagrad sums, one per row (empty without the state).
  [[nodiscard]] std::span<float> bias_state() noexcept {
    return part(rows * (k_ + 1 + state_width_), with_state() ? rows : 0);
  }
  [[nodiscard]] std::span<const float> bias_state() const noexcept {
    return part(rows * (k_ + 1 + state_width_), with_state() ? rows : 0);
  }
  [[nodiscard]] bool with_state() const noexcept { return state_width_ > 0; }

 private:
  friend class ItemRing;
  [[nodiscard]] std::span<float> values() noexcept {
    return in_window_ ? shared_ : std::span<float>(values_);
  }
  [[nodiscard]] std::span<const float> values() const noexcept {
    return in_window_ ? shared_ : std::span<const float>(values_);
  }
  [[nodiscard]] std::span<float> part(std::size_t at, std::size_t n) noexcept {
    return values().subspan(at, n);
  }
  [[nodiscard]] std::span<const float> part(std::size_t at, std::size_t n) const noexcept {
    return values().subspan(at, n);
  }

  std::size_t k_ = 0;
  std::size_t state_width_ = 0;  // 0: no sums (and none for the biases)
  // [factors | bias | factor sums | bias sums]: in values_, or in the
  // block's segment of the ring's shared window (then values_ is empty).
  std::vector<float> values_;
  std::span<float> shared_;
  bool in_window_ = false;
};

class ItemRing {
 public:
  /// `item_starts`: the first global row of each rank's items, then the
  /// total. `state_width`: adagrad sums per factor row carried with the rows
  /// (0: none, and none for the biases either; else one per bias too).
  /// `shared_memory`: keep the blocks with their sums in a shared-memory
  /// window when every rank runs on one node (collective; tests pass false
  /// to run the messages on one node).
  ItemRing(const dist::Comm& comm, std::vector<std::uint32_t> item_starts, int k, int state_width,
           bool shared_memory = true);

  /// A block shaped as block `index` (zero everywhere), with the sums when
  /// `with_state` and the ring has them. With the shared window, a block
  /// asked with the sums (even when the ring has none) is this rank's own
  /// segment (index = rank), zeroed: there is one such block per rank, and
  /// a new one replaces the old; one asked without is a copy that moves as
  /// messages.
  [[nodiscard]] ItemBlock empty_block(int index, bool with_state = true) const;
  /// Whether the blocks asked with their sums go round in the shared window.
  [[nodiscard]] bool shares_memory() const noexcept { return window_.has_value(); }
  /// With the shared window: block `index` where it lies, to read between
  /// two fence() calls while no rank writes it.
  [[nodiscard]] ItemBlock block_in_window(int index) const;
  /// With the shared window, collective: every rank's writes to the blocks
  /// so far are done and visible to every rank.
  void fence() const;
  /// Collective: `block` goes to rank − 1 and is replaced by the block of
  /// rank + 1 (nothing moves on one rank); every rank's block must have the
  /// state or none must. Returns the bytes sent (none for a block in the
  /// shared window).
  std::uint64_t shift(ItemBlock& block);

  [[nodiscard]] std::span<const std::uint32_t> item_starts() const noexcept { return item_starts_; }

 private:
  /// Makes `block` block `index` with `state_width` sums a row: its rows,
  /// and for a block in the window, its segment.
  void shape(ItemBlock& block, int index, std::size_t state_width) const;

  dist::Comm comm_;
  std::vector<std::uint32_t> item_starts_;
  int k_ = 0;
  int state_width_ = 0;
  std::vector<float> spare_;  // what the next block arrives in
  std::optional<dist::SharedWindow> window_;
};

}  // namespace dmf::solvers::sgd
