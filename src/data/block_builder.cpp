#include "dmf/data/block_builder.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"

namespace dmf::data {
namespace {

constexpr std::size_t kMaxExamples = 5;

/// Counting sort by row: stable, O(n + rows), parallel over `threads`
/// chunks of the input (each chunk's ratings of a row land after those of
/// the chunks before it). Returns the row offsets.
std::vector<std::uint64_t> group_by_row(std::uint32_t first_row, std::uint32_t rows,
                                        std::span<const RoutedRating> ratings,
                                        std::vector<RoutedRating>& grouped, int threads) {
  const auto chunks = static_cast<std::size_t>(std::max(1, threads));
  const std::size_t n = ratings.size();
  auto chunk_begin = [&](std::size_t c) { return n * c / chunks; };
  // counts[c][r]: ratings of row r in chunk c; then where chunk c writes row r.
  std::vector<std::vector<std::uint64_t>> counts(chunks, std::vector<std::uint64_t>(rows, 0));
  parallel_for(threads, static_cast<std::int64_t>(chunks), [&](std::int64_t c) {
    auto& mine = counts[static_cast<std::size_t>(c)];
    for (std::size_t k = chunk_begin(static_cast<std::size_t>(c)); k < chunk_begin(static_cast<std::size_t>(c) + 1); ++k) {
      const auto& r = ratings[k];
      DMF_CHECK(r.row >= first_row && r.row - first_row < rows,
                "internal: rating for row {} routed to the owner of rows [{}, {})", r.row,
                first_row, first_row + rows);
      ++mine[r.row - first_row];
    }
  });
  std::vector<std::uint64_t> offsets(static_cast<std::size_t>(rows) + 1, 0);
  std::uint64_t at = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    offsets[r] = at;
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::uint64_t count = counts[c][r];
      counts[c][r] = at;
      at += count;
    }
  }
  offsets[rows] = at;
  grouped.resize(n);
  parallel_for(threads, static_cast<std::int64_t>(chunks), [&](std::int64_t c) {
    auto& cursor = counts[static_cast<std::size_t>(c)];
    for (std::size_t k = chunk_begin(static_cast<std::size_t>(c)); k < chunk_begin(static_cast<std::size_t>(c) + 1); ++k) {
      grouped[cursor[ratings[k].row - first_row]++] = ratings[k];
    }
  });
  return offsets;
}

/// The merged value of the duplicates group [begin, end) under `policy`.
float merge_values(std::span<const RoutedRating> group, DuplicatePolicy policy) {
  switch (policy) {
    case DuplicatePolicy::kLast: return group.back().value;
    case DuplicatePolicy::kMean:
    case DuplicatePolicy::kSum: {
      double sum = 0.0;  // in line order: the same for any number of ranks
      for (const auto& r : group) sum += r.value;
      if (policy == DuplicatePolicy::kMean) sum /= static_cast<double>(group.size());
      return static_cast<float>(sum);
    }
    case DuplicatePolicy::kFirst:
    case DuplicatePolicy::kError: break;
  }
  return group.front().value;
}

}  // namespace

BlockBuildResult build_block(std::uint32_t first_row, std::uint32_t rows,
                             std::span<const RoutedRating> ratings,
                             std::span<const std::int64_t> times, DuplicatePolicy policy,
                             bool keep_lines, int threads) {
  std::vector<RoutedRating> grouped;
  const std::vector<std::uint64_t> offsets =
      group_by_row(first_row, rows, ratings, grouped, threads);

  // Order each row by column through 8-byte keys, column << 32 | position
  // in the row, rather than moving 24-byte records (the slowest step of a
  // load otherwise); count the entries each row keeps.
  std::vector<std::uint64_t> order(grouped.size());
  std::vector<std::uint64_t> kept(rows, 0);
  parallel_for(threads, rows, [&](std::int64_t r) {
    const auto row = static_cast<std::size_t>(r);
    const std::uint64_t begin = offsets[row];
    const std::uint64_t end = offsets[row + 1];
    for (std::uint64_t k = begin; k < end; ++k) {
      order[k] = static_cast<std::uint64_t>(grouped[k].column) << 32U | (k - begin);
    }
    std::sort(order.begin() + static_cast<std::ptrdiff_t>(begin),
              order.begin() + static_cast<std::ptrdiff_t>(end));
    std::uint64_t distinct = 0;
    std::uint64_t previous = ~0ULL;
    for (std::uint64_t k = begin; k < end; ++k) {
      const std::uint64_t column = order[k] >> 32U;
      if (column != previous) ++distinct;
      previous = column;
      order[k] = begin + (order[k] & 0xFFFFFFFFULL);  // now: where the rating is in `grouped`
    }
    kept[row] = distinct;
  });

  BlockBuildResult result;
  SparseBlock& block = result.block;
  block.first_row = first_row;
  block.offsets.assign(static_cast<std::size_t>(rows) + 1, 0);
  for (std::size_t r = 0; r < rows; ++r) block.offsets[r + 1] = block.offsets[r] + kept[r];
  result.duplicate_ratings = grouped.size() - block.offsets.back();

  const std::uint64_t n = block.offsets.back();
  block.columns.resize(n);
  block.values.resize(n);
  if (!times.empty()) block.times.resize(n);
  if (keep_lines) block.lines.resize(n);

  // Fill: each group of equal columns becomes one entry.
  std::vector<std::uint64_t> pairs_per_row(result.duplicate_ratings > 0 ? rows : 0, 0);
  parallel_for(threads, rows, [&](std::int64_t r) {
    const auto row = static_cast<std::size_t>(r);
    std::uint64_t out = block.offsets[row];
    std::uint64_t i = offsets[row];
    std::vector<RoutedRating> group;
    while (i < offsets[row + 1]) {
      const RoutedRating& head = grouped[order[i]];
      std::uint64_t j = i + 1;
      while (j < offsets[row + 1] && grouped[order[j]].column == head.column) ++j;
      if (j == i + 1) {  // no duplicate: the common case
        block.columns[out] = head.column;
        block.values[out] = head.value;
        if (!times.empty()) block.times[out] = times[head.time_slot];
        if (keep_lines) block.lines[out] = head.line;
        ++out;
        i = j;
        continue;
      }
      group.clear();
      for (std::uint64_t k = i; k < j; ++k) group.push_back(grouped[order[k]]);
      // Ratings arrive in line order; make the merge independent of it.
      std::ranges::sort(group, {}, &RoutedRating::line);
      ++pairs_per_row[row];
      const RoutedRating& representative =
          policy == DuplicatePolicy::kLast ? group.back() : group.front();
      block.columns[out] = representative.column;
      block.values[out] = merge_values(group, policy);
      if (!times.empty()) block.times[out] = times[representative.time_slot];
      if (keep_lines) block.lines[out] = representative.line;
      ++out;
      i = j;
    }
  });

  if (result.duplicate_ratings > 0) {
    for (const auto count : pairs_per_row) result.duplicate_pairs += count;
    // The earliest few duplicated pairs, by the line of their first rating.
    for (std::size_t row = 0; row < rows; ++row) {
      std::uint64_t i = offsets[row];
      while (i < offsets[row + 1]) {
        std::uint64_t j = i + 1;
        std::uint64_t first = grouped[order[i]].line;
        std::uint64_t second = ~0ULL;
        for (; j < offsets[row + 1] && grouped[order[j]].column == grouped[order[i]].column; ++j) {
          const std::uint64_t line = grouped[order[j]].line;
          if (line < first) {
            second = first;
            first = line;
          } else {
            second = std::min(second, line);
          }
        }
        if (j - i > 1) {
          result.examples.push_back({grouped[order[i]].row, grouped[order[i]].column, first, second});
        }
        i = j;
      }
    }
    std::ranges::sort(result.examples, {}, &DuplicateExample::first_line);
    if (result.examples.size() > kMaxExamples) result.examples.resize(kMaxExamples);
  }
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
