#include "entry_checks.hpp"

#include <algorithm>

namespace dmf::data {
namespace {

/// The first entry of the range [begin, end) of bytes that holds an entry
/// of `bytes` whole, and the one past its last.
std::uint64_t first_whole(std::uint64_t begin, std::size_t bytes) {
  return (begin + bytes - 1) / bytes;
}
std::uint64_t end_whole(std::uint64_t end, std::size_t bytes) { return end / bytes; }

/// `done` (ranges of entries checked whole, in any order) sorted, with the
/// entries of [0, n) that none holds checked by `check` as ranges of their own.
template <class Check>
void cover(std::vector<EntryChecksRange>& done, std::uint64_t n, const Check& check) {
  std::ranges::sort(done, {}, &EntryChecksRange::first);
  std::vector<EntryChecksRange> missing;
  std::uint64_t at = 0;
  for (const auto& range : done) {
    if (range.first > at) missing.push_back(check(at, range.first));
    at = std::max(at, range.last);
  }
  if (at < n) missing.push_back(check(at, n));
  done.insert(done.end(), missing.begin(), missing.end());
  std::ranges::sort(done, {}, &EntryChecksRange::first);
}

}  // namespace

EntryChecks::EntryChecks(const SparseBlock& block, std::uint32_t column_limit,
                         std::span<const std::uint32_t> row_of)
    : block_(block), column_limit_(column_limit), row_of_(row_of) {}

EntryChecksRange EntryChecks::check_columns(std::uint64_t first, std::uint64_t last) const {
  EntryChecksRange out{first, last, block_.nnz(), 0};
  if (first >= last) return out;
  const std::uint32_t* columns = block_.columns.data();
  const std::uint64_t* offsets = block_.offsets.data();
  // The rows the range touches; entry k's order is checked against k - 1
  // only within a row and within the range (finish() checks the rest).
  auto r = static_cast<std::size_t>(
      std::upper_bound(block_.offsets.begin(), block_.offsets.end(), first) -
      block_.offsets.begin() - 1);
  std::uint64_t k = first;
  while (k < last) {
    const std::uint64_t end = std::min(last, offsets[r + 1]);
    ++r;
    if (end == k) continue;  // an empty row
    // Flags gathered without a branch per entry (the loop vectorizes); the
    // first entry at fault is looked for only when there is one.
    unsigned bad = static_cast<unsigned>(columns[k] >= column_limit_);
    std::uint64_t sum = columns[k];
    for (std::uint64_t j = k + 1; j < end; ++j) {
      bad |= static_cast<unsigned>(columns[j] >= column_limit_) |
             static_cast<unsigned>(columns[j - 1] >= columns[j]);
      sum += columns[j];
    }
    out.column_sum += sum;
    if (bad != 0 && out.first_bad == block_.nnz()) {
      for (std::uint64_t j = k; j < end; ++j) {
        if (columns[j] >= column_limit_ || (j > k && columns[j - 1] >= columns[j])) {
          out.first_bad = j;
          break;
        }
      }
    }
    k = end;
  }
  return out;
}

EntryChecksRange EntryChecks::check_rows(std::uint64_t first, std::uint64_t last) const {
  EntryChecksRange out{first, last, block_.nnz(), 0};
  if (first >= last) return out;
  auto r = static_cast<std::size_t>(
      std::upper_bound(block_.offsets.begin(), block_.offsets.end(), first) -
      block_.offsets.begin() - 1);
  for (std::uint64_t k = first; k < last;) {
    const std::uint64_t end = std::min(last, block_.offsets[r + 1]);
    const std::uint32_t row = block_.first_row + static_cast<std::uint32_t>(r);
    for (; k < end; ++k) {
      if (row_of_[k] != row) {
        out.first_bad = k;
        return out;
      }
    }
    ++r;
  }
  return out;
}

void EntryChecks::columns_arrived(std::uint64_t begin, std::uint64_t end) {
  constexpr std::size_t kBytes = sizeof(std::uint32_t);
  const EntryChecksRange checked =
      check_columns(first_whole(begin, kBytes), end_whole(end, kBytes));
  const std::scoped_lock lock(mutex_);
  columns_.push_back(checked);
}

void EntryChecks::rows_arrived(std::uint64_t begin, std::uint64_t end) {
  constexpr std::size_t kBytes = sizeof(std::uint32_t);
  const EntryChecksRange checked = check_rows(first_whole(begin, kBytes), end_whole(end, kBytes));
  const std::scoped_lock lock(mutex_);
  rows_.push_back(checked);
}

BlockScan EntryChecks::finish() {
  const std::uint64_t n = block_.nnz();
  BlockScan scan{n, {}};
  cover(columns_, n, [&](std::uint64_t a, std::uint64_t b) { return check_columns(a, b); });
  for (const auto& range : columns_) {
    scan.first_bad = std::min(scan.first_bad, range.first_bad);
    scan.sums.columns += range.column_sum;
    // The order of a range's first entry against the entry before it, in
    // another range, unless a row starts there.
    const std::uint64_t k = range.first;
    if (k == 0 || k >= n || block_.columns[k - 1] < block_.columns[k]) continue;
    if (!std::ranges::binary_search(block_.offsets, k))
      scan.first_bad = std::min(scan.first_bad, k);
  }
  if (!row_of_.empty()) {
    cover(rows_, n, [&](std::uint64_t a, std::uint64_t b) { return check_rows(a, b); });
    for (const auto& range : rows_) scan.first_bad = std::min(scan.first_bad, range.first_bad);
  }
  for (std::uint32_t r = 0; r < block_.rows(); ++r) {
    scan.sums.rows += std::uint64_t{block_.first_row + r} * block_.degree(r);
  }
  return scan;
}

}  // namespace dmf::data
