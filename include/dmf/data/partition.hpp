// How rows (users or items) are split into per-rank blocks. Rows are in
// canonical order; rank p owns one contiguous range of them, chosen so that
// every rank holds about the same number of ratings.
#pragma once

#include <cstdint>
#include <vector>

namespace dmf::dist {
class Comm;
}

namespace dmf::data {

struct SparseBlock;

/// The rank, of `parts`, that owns a row whose ratings occupy positions
/// [prefix, prefix + count) of the `total` ratings of its side, laid out in
/// canonical row order. A row goes to the part that holds the midpoint of its
/// ratings, so parts hold total/parts ratings each up to one row's worth,
/// and the result is non-decreasing in prefix: parts are contiguous ranges.
[[nodiscard]] constexpr int part_of(std::uint64_t prefix, std::uint64_t count, std::uint64_t total,
                                    int parts) noexcept {
  if (total == 0) return 0;
  // 2*prefix + count is twice the midpoint; compare in doubled units so that
  // nothing is rounded. __int128 would only matter beyond 2^62 ratings.
  const std::uint64_t twice_mid = 2 * prefix + count;
  const auto part = static_cast<int>((twice_mid * static_cast<std::uint64_t>(parts)) / (2 * total));
  return part < parts ? part : parts - 1;
}

/// Row ownership of one side: rank p owns global rows [begin[p], begin[p+1]).
class Ownership {
 public:
  Ownership() = default;
  explicit Ownership(std::vector<std::uint32_t> begin) : begin_(std::move(begin)) {}

  [[nodiscard]] int parts() const noexcept { return static_cast<int>(begin_.size()) - 1; }
  [[nodiscard]] std::uint32_t begin(int part) const { return begin_.at(static_cast<std::size_t>(part)); }
  [[nodiscard]] std::uint32_t end(int part) const { return begin_.at(static_cast<std::size_t>(part) + 1); }
  [[nodiscard]] std::uint32_t rows(int part) const { return end(part) - begin(part); }
  [[nodiscard]] std::uint32_t total_rows() const { return begin_.empty() ? 0 : begin_.back(); }
  /// The owner of a global row.
  [[nodiscard]] int owner(std::uint32_t row) const;
  [[nodiscard]] const std::vector<std::uint32_t>& boundaries() const noexcept { return begin_; }

 private:
  std::vector<std::uint32_t> begin_;
};

/// What each of `parts` ranks would own of one side: its rows and the
/// ratings in them.
struct PartSizes {
  std::vector<std::uint64_t> rows;
  std::vector<std::uint64_t> ratings;
};

/// Collective: the rows and ratings each of `parts` ranks would own of
/// `block`'s side under the loader's rule (part_of over the side's rows in
/// canonical order), whatever the number of ranks holding `block` now: how
/// `dmf info --ranks P` sizes a run it does not make.
[[nodiscard]] PartSizes partition_sizes(const dist::Comm& comm, const SparseBlock& block,
                                        int parts);

}  // namespace dmf::data
