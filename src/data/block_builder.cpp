#include "dmf/data/block_builder.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <numeric>
#include <utility>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"

namespace dmf::data {
namespace {

constexpr std::size_t kMaxExamples = 5;

/// Rows handed to a thread at a time: rows differ wildly in degree.
constexpr std::int64_t kRowGrain = 64;

/// Per-thread space for ordering one row.
struct RowScratch {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint64_t> keys_sorted;  // the radix sort's other buffer
  std::vector<std::uint32_t> columns;
  std::vector<float> values;
  std::vector<std::int64_t> times;
  std::vector<std::uint64_t> lines;
  std::vector<DuplicateExample> examples;
};

/// Rows shorter than this are sorted by insertion: a radix pass costs a
/// 256-entry count table.
constexpr std::size_t kInsertionSortRows = 48;

/// Sorts `keys` (column << 32 | arrival position, all distinct) ascending:
/// an LSD radix sort on the column bits, a byte per pass, as many passes as
/// the row's column span needs (two for 65k items). Stable, so equal
/// columns keep their arrival order; no compare-and-branch per element,
/// which made std::sort the largest single cost of a load's profile.
void sort_keys(std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>& other) {
  const std::size_t n = keys.size();
  if (n < kInsertionSortRows) {
    for (std::size_t i = 1; i < n; ++i) {
      const std::uint64_t key = keys[i];
      std::size_t j = i;
      for (; j > 0 && keys[j - 1] > key; --j) keys[j] = keys[j - 1];
      keys[j] = key;
    }
    return;
  }
  std::uint64_t low = keys[0] >> 32U;
  std::uint64_t high = low;
  for (const auto key : keys) {
    low = std::min(low, key >> 32U);
    high = std::max(high, key >> 32U);
  }
  other.resize(n);
  const auto width = static_cast<int>(std::bit_width(high - low));
  for (int shift = 0; shift < width; shift += 8) {
    std::array<std::size_t, 256> at{};
    for (const auto key : keys) ++at[(((key >> 32U) - low) >> shift) & 0xFFU];
    std::size_t sum = 0;
    for (auto& a : at) sum += std::exchange(a, sum);
    for (const auto key : keys) other[at[(((key >> 32U) - low) >> shift) & 0xFFU]++] = key;
    keys.swap(other);
  }
}

/// The merged value of a group of duplicates (in line order) under `policy`.
template <class ValueAt>
float merge_values(std::size_t size, ValueAt value_at, DuplicatePolicy policy) {
  switch (policy) {
    case DuplicatePolicy::kLast:
      return value_at(size - 1);
    case DuplicatePolicy::kMean:
    case DuplicatePolicy::kSum: {
      double sum = 0.0;  // in line order: the same for any number of ranks
      for (std::size_t k = 0; k < size; ++k) sum += value_at(k);
      if (policy == DuplicatePolicy::kMean) sum /= static_cast<double>(size);
      return static_cast<float>(sum);
    }
    case DuplicatePolicy::kFirst:
    case DuplicatePolicy::kError:
      break;
  }
  return value_at(0);
}

/// Moves vector `v`'s kept entries of each row (the first kept[r] at the
/// row's old start) together; new starts are never after old ones.
template <class T, class Allocator>
void compact(std::vector<T, Allocator>& v, const std::vector<std::uint64_t>& old_offsets,
             const std::vector<std::uint64_t>& new_offsets) {
  if (v.empty()) return;
  for (std::size_t r = 0; r + 1 < new_offsets.size(); ++r) {
    const std::uint64_t count = new_offsets[r + 1] - new_offsets[r];
    if (count > 0 && new_offsets[r] != old_offsets[r]) {
      std::memmove(v.data() + new_offsets[r], v.data() + old_offsets[r], count * sizeof(T));
    }
  }
  v.resize(new_offsets.back());
}

}  // namespace

BlockAssembler::BlockAssembler(std::uint32_t first_row, std::span<const std::uint64_t> counts,
                               bool times, bool lines) {
  block_.first_row = first_row;
  block_.offsets.assign(counts.size() + 1, 0);
  for (std::size_t r = 0; r < counts.size(); ++r) {
    block_.offsets[r + 1] = block_.offsets[r] + counts[r];
  }
  const std::uint64_t n = block_.offsets.back();
  block_.columns.resize(n);
  block_.values.resize(n);
  if (times) block_.times.resize(n);
  if (lines) block_.lines.resize(n);
  cursor_.assign(block_.offsets.begin(), block_.offsets.end() - 1);
}

void BlockAssembler::add(std::span<const BlockEntry> entries, std::span<const std::int64_t> times,
                         std::span<const std::uint64_t> lines) {
  const std::uint32_t first_row = block_.first_row;
  const auto rows = static_cast<std::uint32_t>(cursor_.size());
  const bool with_times = !block_.times.empty() && !times.empty();
  const bool with_lines = !block_.lines.empty() && !lines.empty();
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const BlockEntry& e = entries[k];
    const std::uint32_t r = e.row - first_row;
    DMF_CHECK(e.row >= first_row && r < rows && cursor_[r] < block_.offsets[r + 1],
              "internal: rating for row {} routed to the owner of rows [{}, {}) beyond its count",
              e.row, first_row, first_row + rows);
    const std::uint64_t at = cursor_[r]++;
    block_.columns[at] = e.column;
    block_.values[at] = e.value;
    if (with_times) block_.times[at] = times[k];
    if (with_lines) block_.lines[at] = lines[k];
  }
}

BlockBuildResult BlockAssembler::finish(DuplicatePolicy policy, int threads) {
  SparseBlock& block = block_;
  const std::uint32_t rows = block.rows();
  for (std::uint32_t r = 0; r < rows; ++r) {
    DMF_CHECK(cursor_[r] == block.offsets[r + 1], "internal: row {} received {} of its {} ratings",
              block.first_row + r, cursor_[r] - block.offsets[r], block.degree(r));
  }
  const bool with_times = !block.times.empty();
  const bool with_lines = !block.lines.empty();

  // Each row: order by column through 8-byte keys, column << 32 | arrival
  // position (stable: equal columns stay in line order), then write it back
  // with each group of equal columns merged into its first slot.
  std::vector<std::uint64_t> kept(rows, 0);
  std::vector<std::uint64_t> pairs_per_row(rows, 0);
  std::vector<RowScratch> scratch(static_cast<std::size_t>(std::max(1, threads)));
  parallel_for_dynamic(threads, rows, kRowGrain, [&](std::int64_t row_index, int worker) {
    const auto row = static_cast<std::size_t>(row_index);
    const std::uint64_t begin = block.offsets[row];
    const std::uint64_t n = cursor_[row] - begin;
    std::uint32_t* columns = block.columns.data() + begin;
    bool increasing = true;
    for (std::uint64_t k = 1; k < n && increasing; ++k) increasing = columns[k - 1] < columns[k];
    if (increasing) {  // nothing to move or merge (often so for short rows)
      kept[row] = n;
      return;
    }
    RowScratch& s = scratch[static_cast<std::size_t>(worker)];
    s.keys.resize(n);
    for (std::uint64_t k = 0; k < n; ++k) s.keys[k] = std::uint64_t{columns[k]} << 32U | k;
    sort_keys(s.keys, s.keys_sorted);
    float* values = block.values.data() + begin;
    s.columns.assign(columns, columns + n);
    s.values.assign(values, values + n);
    if (with_times) s.times.assign(block.times.begin() + begin, block.times.begin() + begin + n);
    if (with_lines) s.lines.assign(block.lines.begin() + begin, block.lines.begin() + begin + n);
    std::uint64_t out = 0;
    for (std::uint64_t i = 0; i < n;) {
      const std::uint32_t column = s.columns[s.keys[i] & 0xFFFFFFFFULL];
      std::uint64_t j = i + 1;
      while (j < n && (s.keys[j] >> 32U) == column) ++j;
      const auto at = [&](std::uint64_t k) { return s.keys[i + k] & 0xFFFFFFFFULL; };
      const std::uint64_t representative = policy == DuplicatePolicy::kLast ? at(j - i - 1) : at(0);
      columns[out] = column;
      values[out] = j == i + 1
                        ? s.values[at(0)]
                        : merge_values(
                              j - i, [&](std::uint64_t k) { return s.values[at(k)]; }, policy);
      if (with_times) block.times[begin + out] = s.times[representative];
      if (with_lines) block.lines[begin + out] = s.lines[representative];
      if (j > i + 1) {
        ++pairs_per_row[row];
        if (with_lines) {
          s.examples.push_back({block.first_row + static_cast<std::uint32_t>(row), column,
                                s.lines[at(0)], s.lines[at(1)]});
        }
      }
      ++out;
      i = j;
    }
    kept[row] = out;
  });

  BlockBuildResult result;
  std::vector<std::uint64_t> offsets(static_cast<std::size_t>(rows) + 1, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    offsets[r + 1] = offsets[r] + kept[r];
    result.duplicate_pairs += pairs_per_row[r];
  }
  result.duplicate_ratings = block.offsets.back() - offsets.back();
  if (result.duplicate_ratings > 0) {
    compact(block.columns, block.offsets, offsets);
    compact(block.values, block.offsets, offsets);
    compact(block.times, block.offsets, offsets);
    compact(block.lines, block.offsets, offsets);
    block.offsets = std::move(offsets);
    for (auto& s : scratch) {
      result.examples.insert(result.examples.end(), s.examples.begin(), s.examples.end());
    }
    // The earliest few duplicated pairs, by the line of their first rating.
    std::ranges::sort(result.examples, {}, &DuplicateExample::first_line);
    if (result.examples.size() > kMaxExamples) result.examples.resize(kMaxExamples);
  }
  cursor_.clear();
  result.block = std::move(block_);
  return result;
}

BlockBuildResult build_block(std::uint32_t first_row, std::uint32_t rows,
                             std::span<const RoutedRating> ratings,
                             std::span<const std::int64_t> times, DuplicatePolicy policy,
                             bool keep_lines, int threads) {
  std::vector<std::uint64_t> counts(rows, 0);
  std::vector<BlockEntry> entries(ratings.size());
  std::vector<std::uint64_t> lines(ratings.size());
  std::vector<std::int64_t> entry_times(times.empty() ? 0 : ratings.size());
  for (std::size_t k = 0; k < ratings.size(); ++k) {
    const RoutedRating& r = ratings[k];
    DMF_CHECK(r.row >= first_row && r.row - first_row < rows,
              "internal: rating for row {} routed to the owner of rows [{}, {})", r.row, first_row,
              first_row + rows);
    ++counts[r.row - first_row];
    entries[k] = {r.row, r.column, r.value};
    lines[k] = r.line;
    if (!times.empty()) entry_times[k] = times[r.time_slot];
  }
  BlockAssembler assembler(first_row, counts, !times.empty(), /*lines=*/true);
  assembler.add(entries, entry_times, lines);
  BlockBuildResult result = assembler.finish(policy, threads);
  if (!keep_lines) result.block.lines = {};
  return result;
}

std::vector<std::uint32_t> SparseBlock::row_of_entries() const {
  std::vector<std::uint32_t> rows_of(nnz());
  for (std::uint32_t r = 0; r < rows(); ++r) {
    std::fill(rows_of.begin() + static_cast<std::ptrdiff_t>(offsets[r]),
              rows_of.begin() + static_cast<std::ptrdiff_t>(offsets[r + 1]), r);
  }
  return rows_of;
}

std::vector<std::uint64_t> SparseBlock::entries_by_column() const {
  std::vector<std::uint64_t> order(nnz());
  std::iota(order.begin(), order.end(), std::uint64_t{0});
  std::ranges::stable_sort(order, {}, [&](std::uint64_t entry) { return columns[entry]; });
  return order;
}

std::vector<std::uint64_t> SparseBlock::degrees() const {
  std::vector<std::uint64_t> out(rows());
  for (std::uint32_t r = 0; r < rows(); ++r) out[r] = degree(r);
  return out;
}

std::uint64_t SparseBlock::bytes() const noexcept {
  return offsets.capacity() * sizeof(std::uint64_t) + columns.capacity() * sizeof(std::uint32_t) +
         values.capacity() * sizeof(float) + times.capacity() * sizeof(std::int64_t) +
         lines.capacity() * sizeof(std::uint64_t);
}

}  // namespace dmf::data
