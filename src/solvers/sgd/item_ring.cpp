#include "dmf/solvers/sgd/item_ring.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"

namespace dmf::solvers::sgd {

ItemRing::ItemRing(const dist::Comm& comm, std::vector<std::uint32_t> item_starts, int k,
                   int state_width)
    : comm_(comm), item_starts_(std::move(item_starts)), k_(k), state_width_(state_width) {
  DMF_CHECK(item_starts_.size() == static_cast<std::size_t>(comm.size()) + 1,
            "sgd ring: {} item block starts for {} ranks", item_starts_.size(), comm.size());
}

ItemBlock ItemRing::empty_block(int index) const {
  ItemBlock block;
  block.index = index;
  block.first_row = item_starts_[static_cast<std::size_t>(index)];
  block.rows = item_starts_[static_cast<std::size_t>(index) + 1] - block.first_row;
  const auto k = static_cast<std::size_t>(k_);
  block.factors.assign(block.rows * k, 0.0F);
  block.bias.assign(block.rows, 0.0F);
  if (state_width_ > 0) {
    block.factor_state.assign(block.rows * static_cast<std::size_t>(state_width_), 0.0F);
    block.bias_state.assign(block.rows, 0.0F);
  }
  return block;
}

std::uint64_t ItemRing::shift(ItemBlock& block, bool with_state) {
  const int ranks = comm_.size();
  if (ranks == 1) return 0;
  const int to = (comm_.rank() + ranks - 1) % ranks;
  const int from = (comm_.rank() + 1) % ranks;
  const bool state = with_state && state_width_ > 0;
  const auto width = static_cast<std::size_t>(state_width_);
  const auto k = static_cast<std::size_t>(k_);
  // One message: factors, biases, then (with the state) their sums.
  const auto pack = [&](const ItemBlock& b, std::vector<float>& out) {
    out.clear();
    out.insert(out.end(), b.factors.begin(), b.factors.end());
    out.insert(out.end(), b.bias.begin(), b.bias.end());
    if (state) {
      out.insert(out.end(), b.factor_state.begin(), b.factor_state.end());
      out.insert(out.end(), b.bias_state.begin(), b.bias_state.end());
    }
  };
  pack(block, send_);
  const int next = (block.index + 1) % ranks;
  const std::uint32_t rows = item_starts_[static_cast<std::size_t>(next) + 1] -
                             item_starts_[static_cast<std::size_t>(next)];
  receive_.resize(static_cast<std::size_t>(rows) * (k + 1 + (state ? width + 1 : 0)));
  comm_.sendrecv_bytes(std::as_bytes(std::span<const float>(send_)), to,
                       std::as_writable_bytes(std::span<float>(receive_)), from);

  block.index = next;
  block.first_row = item_starts_[static_cast<std::size_t>(next)];
  block.rows = rows;
  const auto take = [&](std::size_t& at, std::vector<float>& out, std::size_t n) {
    out.assign(receive_.begin() + static_cast<std::ptrdiff_t>(at),
               receive_.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  };
  std::size_t at = 0;
  take(at, block.factors, rows * k);
  take(at, block.bias, rows);
  if (state) {
    take(at, block.factor_state, rows * width);
    take(at, block.bias_state, rows);
  } else {
    block.factor_state.clear();
    block.bias_state.clear();
  }
  return send_.size() * sizeof(float);
}

}  // namespace dmf::solvers::sgd
