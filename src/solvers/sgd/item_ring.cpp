#include "dmf/solvers/sgd/item_ring.hpp"

#include <algorithm>
#include <utility>

#include "dmf/core/error.hpp"

namespace dmf::solvers::sgd {

namespace {

/// Floats a row of a block takes: factors, bias, and with the sums theirs.
std::size_t floats_per_row(std::size_t k, std::size_t state_width) {
  return k + 1 + (state_width > 0 ? state_width + 1 : 0);
}

std::span<float> as_floats(std::span<std::byte> bytes) {
  // The segment was allocated for floats (ItemRing's constructor).
  return {reinterpret_cast<float*>(bytes.data()), bytes.size() / sizeof(float)};
}

}  // namespace

ItemRing::ItemRing(const dist::Comm& comm, std::vector<std::uint32_t> item_starts, int k,
                   int state_width, bool shared_memory)
    : comm_(comm), item_starts_(std::move(item_starts)), k_(k), state_width_(state_width) {
  DMF_CHECK(item_starts_.size() == static_cast<std::size_t>(comm.size()) + 1,
            "sgd ring: {} item block starts for {} ranks", item_starts_.size(), comm.size());
  if (shared_memory) {
    const auto own = static_cast<std::size_t>(comm.rank());
    const std::size_t rows = item_starts_[own + 1] - item_starts_[own];
    const std::size_t per_row =
        floats_per_row(static_cast<std::size_t>(k_), static_cast<std::size_t>(state_width_));
    window_ = dist::SharedWindow::allocate(comm, rows * per_row * sizeof(float));
  }
}

void ItemRing::shape(ItemBlock& block, int index, std::size_t state_width) const {
  block.index = index;
  block.first_row = item_starts_[static_cast<std::size_t>(index)];
  block.rows = item_starts_[static_cast<std::size_t>(index) + 1] - block.first_row;
  block.k_ = static_cast<std::size_t>(k_);
  block.state_width_ = state_width;
  if (block.in_window_) {
    block.shared_ = as_floats(window_->segment(index))
                        .first(block.rows * floats_per_row(block.k_, block.state_width_));
  }
}

ItemBlock ItemRing::empty_block(int index, bool with_state) const {
  ItemBlock block;
  // The block asked with the sums (whatever their width, none for plain
  // steps) is the one that goes round; a view without them is a copy.
  block.in_window_ = window_.has_value() && with_state;
  DMF_CHECK(!block.in_window_ || index == comm_.rank(),
            "sgd ring: rank {} asked for block {} in the shared window", comm_.rank(), index);
  shape(block, index, with_state ? static_cast<std::size_t>(state_width_) : 0);
  if (block.in_window_) {
    std::ranges::fill(block.shared_, 0.0F);
  } else {
    block.values_.assign(block.rows * floats_per_row(block.k_, block.state_width_), 0.0F);
  }
  return block;
}

ItemBlock ItemRing::block_in_window(int index) const {
  DMF_CHECK(window_.has_value(), "sgd ring: no shared window to read block {} in", index);
  ItemBlock block;
  block.in_window_ = true;
  shape(block, index, static_cast<std::size_t>(state_width_));
  return block;
}

void ItemRing::fence() const {
  DMF_CHECK(window_.has_value(), "sgd ring: no shared window to fence");
  window_->fence();
}

std::uint64_t ItemRing::shift(ItemBlock& block) {
  const int ranks = comm_.size();
  if (ranks == 1) return 0;
  const int to = (comm_.rank() + ranks - 1) % ranks;
  const int from = (comm_.rank() + 1) % ranks;
  if (block.in_window_) {
    window_->handover(to, from);
    shape(block, (block.index + 1) % ranks, block.state_width_);
    return 0;
  }
  const std::uint64_t sent = block.values_.size() * sizeof(float);
  shape(block, (block.index + 1) % ranks, block.state_width_);
  spare_.resize(block.rows * floats_per_row(block.k_, block.state_width_));
  comm_.sendrecv_bytes(std::as_bytes(std::span<const float>(block.values_)), to,
                       std::as_writable_bytes(std::span<float>(spare_)), from);
  std::swap(block.values_, spare_);
  return sent;
}

}  // namespace dmf::solvers::sgd
