#include "dmf/solvers/sgd/item_ring.hpp"

#include <utility>

#include "dmf/core/error.hpp"

namespace dmf::solvers::sgd {

ItemRing::ItemRing(const dist::Comm& comm, std::vector<std::uint32_t> item_starts, int k,
                   int state_width)
    : comm_(comm), item_starts_(std::move(item_starts)), k_(k), state_width_(state_width) {
  DMF_CHECK(item_starts_.size() == static_cast<std::size_t>(comm.size()) + 1,
            "sgd ring: {} item block starts for {} ranks", item_starts_.size(), comm.size());
}

ItemBlock ItemRing::empty_block(int index, bool with_state) const {
  ItemBlock block;
  block.index = index;
  block.first_row = item_starts_[static_cast<std::size_t>(index)];
  block.rows = item_starts_[static_cast<std::size_t>(index) + 1] - block.first_row;
  block.k_ = static_cast<std::size_t>(k_);
  block.state_width_ = with_state ? static_cast<std::size_t>(state_width_) : 0;
  const std::size_t per_row = block.k_ + 1 + (block.with_state() ? block.state_width_ + 1 : 0);
  block.values_.assign(block.rows * per_row, 0.0F);
  return block;
}

std::uint64_t ItemRing::shift(ItemBlock& block) {
  const int ranks = comm_.size();
  if (ranks == 1) return 0;
  const int to = (comm_.rank() + ranks - 1) % ranks;
  const int from = (comm_.rank() + 1) % ranks;
  const int next = (block.index + 1) % ranks;
  const std::uint32_t rows = item_starts_[static_cast<std::size_t>(next) + 1] -
                             item_starts_[static_cast<std::size_t>(next)];
  const std::size_t per_row = block.k_ + 1 + (block.with_state() ? block.state_width_ + 1 : 0);
  spare_.resize(static_cast<std::size_t>(rows) * per_row);
  comm_.sendrecv_bytes(std::as_bytes(std::span<const float>(block.values_)), to,
                       std::as_writable_bytes(std::span<float>(spare_)), from);
  const std::uint64_t sent = block.values_.size() * sizeof(float);
  std::swap(block.values_, spare_);
  block.index = next;
  block.first_row = item_starts_[static_cast<std::size_t>(next)];
  block.rows = rows;
  return sent;
}

}  // namespace dmf::solvers::sgd
