#include "dmf/solvers/sgd/block_grid.hpp"

#include <algorithm>
#include <numeric>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"

namespace dmf::solvers::sgd {
namespace {

/// For `weights` (ratings per row), the range of `parts` each row falls in:
/// contiguous ranges of about equal weight.
std::vector<int> balanced_ranges(std::span<const std::uint64_t> weights, int parts) {
  std::uint64_t total = 0;
  for (const auto w : weights) total += w;
  std::vector<int> range(weights.size(), 0);
  std::uint64_t before = 0;
  for (std::size_t r = 0; r < weights.size(); ++r) {
    // The row goes where the middle of its weight falls.
    const std::uint64_t middle = 2 * before + weights[r];
    const std::uint64_t doubled = std::max<std::uint64_t>(2 * total, 1);
    range[r] = static_cast<int>(
        std::min<std::uint64_t>(middle * static_cast<std::uint64_t>(parts) / doubled,
                                static_cast<std::uint64_t>(parts - 1)));
    before += weights[r];
  }
  return range;
}

}  // namespace

BlockGrid::BlockGrid(const data::SparseBlock& csr, std::span<const std::uint32_t> item_starts,
                     int cells)
    : blocks_(static_cast<int>(item_starts.size()) - 1), cells_(cells) {
  DMF_CHECK(blocks_ >= 1 && cells_ >= 1, "sgd grid: {} item blocks of {} x {} cells", blocks_,
            cells_, cells_);
  const std::uint32_t total_items = item_starts.back();
  const auto g = static_cast<std::size_t>(cells_);

  // User ranges by this rank's ratings; item ranges within each item block
  // by this rank's ratings of the item.
  const std::vector<int> user_range = balanced_ranges(csr.degrees(), cells_);
  std::vector<std::uint64_t> item_count(total_items, 0);
  for (const std::uint32_t i : csr.columns) ++item_count[i];
  std::vector<int> item_range(total_items, 0);
  std::vector<int> block_of(total_items, 0);
  for (int b = 0; b < blocks_; ++b) {
    const std::uint32_t first = item_starts[static_cast<std::size_t>(b)];
    const std::uint32_t last = item_starts[static_cast<std::size_t>(b) + 1];
    const auto ranges = balanced_ranges(std::span(item_count).subspan(first, last - first), cells_);
    std::copy(ranges.begin(), ranges.end(), item_range.begin() + first);
    std::fill(block_of.begin() + first, block_of.begin() + last, b);
  }

  // A counting sort of the ratings into cells, in CSR order.
  const std::size_t n_cells = static_cast<std::size_t>(blocks_) * g * g;
  starts_.assign(n_cells + 1, 0);
  const auto cell_of = [&](std::uint32_t u, std::uint32_t i) {
    return index(block_of[i], Cell{user_range[u], item_range[i]});
  };
  for (std::uint32_t u = 0; u < csr.rows(); ++u) {
    for (const std::uint32_t i : csr.row_columns(u)) ++starts_[cell_of(u, i) + 1];
  }
  std::partial_sum(starts_.begin(), starts_.end(), starts_.begin());
  ratings_.resize(csr.nnz());
  std::vector<std::uint64_t> next(starts_.begin(), starts_.end() - 1);
  for (std::uint32_t u = 0; u < csr.rows(); ++u) {
    for (std::uint64_t pos = csr.offsets[u]; pos < csr.offsets[u + 1]; ++pos) {
      const std::uint32_t i = csr.columns[pos];
      const std::uint32_t block_first = item_starts[static_cast<std::size_t>(block_of[i])];
      ratings_[next[cell_of(u, i)]++] = GridRating{u, i - block_first, csr.values[pos]};
    }
  }
  // Each cell in the order of its rows of the longer side, as LIBMF's blocks
  // (docs/design.md §4, sgd): a row of that side stays in cache over its
  // ratings, the rows of the shorter side fit in cache anyway. The counting
  // sort left each cell in (user, item) order; by item it is re-sorted
  // stably, giving (item, user).
  for (int b = 0; b < blocks_; ++b) {
    const std::uint32_t block_items =
        item_starts[static_cast<std::size_t>(b) + 1] - item_starts[static_cast<std::size_t>(b)];
    if (block_items <= csr.rows()) continue;
    for (std::size_t c = index(b, Cell{0, 0}); c < index(b + 1, Cell{0, 0}); ++c) {
      std::stable_sort(ratings_.begin() + static_cast<std::ptrdiff_t>(starts_[c]),
                       ratings_.begin() + static_cast<std::ptrdiff_t>(starts_[c + 1]),
                       [](const GridRating& a, const GridRating& z) { return a.item < z.item; });
    }
  }
}

std::size_t BlockGrid::index(int block, Cell cell) const noexcept {
  const auto g = static_cast<std::size_t>(cells_);
  return (static_cast<std::size_t>(block) * g + static_cast<std::size_t>(cell.user)) * g +
         static_cast<std::size_t>(cell.item);
}

std::span<const GridRating> BlockGrid::cell(int block, Cell cell) const {
  const std::size_t c = index(block, cell);
  return std::span(ratings_).subspan(starts_[c], starts_[c + 1] - starts_[c]);
}

std::vector<std::vector<Cell>> cell_rounds(int cells, std::uint64_t seed, std::uint64_t epoch,
                                           int user_block, int item_block) {
  // Round d pairs user range g with item range σ((g + shift_d) mod G): a
  // Latin square, whose rows are the rounds. The shifts' order and the
  // relabelling σ of item ranges are drawn afresh for every sub-epoch.
  auto rng = Rng::for_stream(seed, Stream::kSgdOrder, ~std::uint64_t{0}, epoch,
                             static_cast<std::uint64_t>(user_block),
                             static_cast<std::uint64_t>(item_block));
  const auto g = static_cast<std::size_t>(cells);
  std::vector<int> shift(g), sigma(g);
  std::iota(shift.begin(), shift.end(), 0);
  std::iota(sigma.begin(), sigma.end(), 0);
  for (std::size_t j = g; j > 1; --j) std::swap(shift[j - 1], shift[rng.below(j)]);
  for (std::size_t j = g; j > 1; --j) std::swap(sigma[j - 1], sigma[rng.below(j)]);
  std::vector<std::vector<Cell>> rounds(g);
  for (std::size_t d = 0; d < g; ++d) {
    for (int u = 0; u < cells; ++u) {
      rounds[d].push_back(Cell{u, sigma[static_cast<std::size_t>((u + shift[d]) % cells)]});
    }
  }
  return rounds;
}

std::vector<CellStep> cell_steps(const std::vector<std::vector<Cell>>& rounds) {
  std::vector<CellStep> steps;
  std::vector<int> last_user, last_item;  // by range: the last position holding it
  for (const auto& round : rounds) {
    for (const Cell cell : round) {
      const auto u = static_cast<std::size_t>(cell.user);
      const auto i = static_cast<std::size_t>(cell.item);
      if (u >= last_user.size()) last_user.resize(u + 1, -1);
      if (i >= last_item.size()) last_item.resize(i + 1, -1);
      steps.push_back(CellStep{cell, last_user[u], last_item[i]});
      last_user[u] = last_item[i] = static_cast<int>(steps.size()) - 1;
    }
  }
  return steps;
}

}  // namespace dmf::solvers::sgd
