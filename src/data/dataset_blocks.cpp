#include "dataset_blocks.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "dataset_arrays.hpp"
#include "dmf/core/error.hpp"
#include "dmf/core/huge_pages.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/range_reader.hpp"
#include "entry_checks.hpp"

namespace dmf::data {
namespace {

/// The local row holding entry `k` of `block`.
std::uint32_t row_holding(const SparseBlock& block, std::uint64_t k) {
  return static_cast<std::uint32_t>(
      std::upper_bound(block.offsets.begin(), block.offsets.end(), k) - block.offsets.begin() - 1);
}

/// Offsets of a block from its rows' degrees.
std::vector<std::uint64_t> offsets_of(std::span<const std::uint64_t> degrees) {
  std::vector<std::uint64_t> offsets(degrees.size() + 1, 0);
  for (std::size_t r = 0; r < degrees.size(); ++r) offsets[r + 1] = offsets[r] + degrees[r];
  return offsets;
}

template <class T, class Allocator>
std::span<char> bytes_of(std::vector<T, Allocator>& v) {
  return {reinterpret_cast<char*>(v.data()), v.size() * sizeof(T)};
}

}  // namespace

DataSetBlocks read_data_set_blocks(const dist::Comm& comm, const std::string& dir,
                                   const nlohmann::json& manifest, std::uint64_t ratings,
                                   const IdDirectory& users, const IdDirectory& items,
                                   std::span<const std::uint64_t> item_degrees,
                                   const LoadOptions& options, bool item_block) {
  DataSetBlocks out;
  SparseBlock& by_user = out.by_user;
  by_user.first_row = users.first_row();
  const std::uint32_t user_rows = users.local_rows();
  by_user.offsets = comm.agree([&] {
    return offsets_of(read_elements<std::uint64_t>(
        io::path_in(dir, "user_counts.npy"), io::NpyType::kUInt64,
        static_cast<std::uint64_t>(users.total_rows()), by_user.first_row, user_rows));
  });
  const bool times = options.keep_time;
  const std::uint64_t n = by_user.offsets.back();
  out.first_rating = comm.exscan_sum(n);
  // rows.npy only repeats user_counts.npy: format 1 reads it into scratch
  // and checks it, as it always did; format 2 leaves it to numpy (the load
  // verifies what it reads, and has no use for it).
  const bool check_rows = manifest["format_version"].get<int>() < 2;
  UninitVector<std::uint32_t> row_of;
  SparseBlock* by_item = nullptr;
  std::uint64_t item_first = 0;
  if (item_block) {
    by_item = &out.by_item.emplace();
    by_item->first_row = items.first_row();
    by_item->offsets = offsets_of(item_degrees);
    item_first = comm.exscan_sum(by_item->offsets.back());
  }
  // The arrays, sized without writing their numbers (UninitVector), on
  // 2 MiB pages first touched by every thread: the fresh pages' faults
  // cost about as much as the read, and a fault per 2 MiB instead of per
  // 4 KiB took a 10M-rating load from 0.046 to 0.036 s at 2 x 1 and from
  // 0.054 to 0.041 s at 1 x 2 (medians of 5; before, the 4 KiB pages were
  // mapped by one madvise(MADV_POPULATE_WRITE) an array at one thread a
  // rank, and faulted by the read at more).
  const auto size = [threads = options.threads](auto& v, std::size_t m) {
    size_on_huge_pages(v, m, 0, threads);
  };
  comm.agree([&] {
    size(by_user.columns, n);
    size(by_user.values, n);
    if (times) size(by_user.times, n);
    if (check_rows) size(row_of, n);
    if (by_item != nullptr) {
      const std::uint64_t m = by_item->offsets.back();
      size(by_item->columns, m);
      size(by_item->values, m);
      if (times) size(by_item->times, m);
    }
  });
  // Every rating's user row is the one user_counts.npy gives it, and its
  // item rows ascend along the row; the item side's user rows likewise:
  // checked piece by piece as they arrive, while in cache.
  const auto item_count = static_cast<std::uint32_t>(items.total_rows());
  const auto user_count = static_cast<std::uint32_t>(users.total_rows());
  EntryChecks user_checks(by_user, item_count, row_of);
  std::optional<EntryChecks> item_checks;
  if (by_item != nullptr) item_checks.emplace(*by_item, user_count, std::span<std::uint32_t>());
  std::vector<ArrayPart> parts{
      {"columns.npy", io::NpyType::kUInt32, out.first_rating, bytes_of(by_user.columns),
       [&](std::uint64_t b, std::uint64_t e) { user_checks.columns_arrived(b, e); }},
      {"values.npy", io::NpyType::kFloat32, out.first_rating, bytes_of(by_user.values), {}}};
  if (check_rows) {
    parts.push_back({"rows.npy", io::NpyType::kUInt32, out.first_rating, bytes_of(row_of),
                     [&](std::uint64_t b, std::uint64_t e) { user_checks.rows_arrived(b, e); }});
  }
  if (times) {
    parts.push_back(
        {"times.npy", io::NpyType::kInt64, out.first_rating, bytes_of(by_user.times), {}});
  }
  if (by_item != nullptr) {
    parts.push_back(
        {"item_users.npy", io::NpyType::kUInt32, item_first, bytes_of(by_item->columns),
         [&](std::uint64_t b, std::uint64_t e) { item_checks->columns_arrived(b, e); }});
    parts.push_back(
        {"item_values.npy", io::NpyType::kFloat32, item_first, bytes_of(by_item->values), {}});
    if (times) {
      parts.push_back(
          {"item_times.npy", io::NpyType::kInt64, item_first, bytes_of(by_item->times), {}});
    }
  }
  read_verified(comm, dir, manifest, ratings, parts, options.threads);

  const BlockScan user_scan = user_checks.finish();
  std::uint64_t bad = user_scan.first_bad;
  const BlockSums user_sums = user_scan.sums;
  comm.agree([&] {
    if (bad == n) return;
    const std::uint32_t r = row_holding(by_user, bad);
    for (std::uint64_t k = by_user.offsets[r]; k < by_user.offsets[r + 1]; ++k) {
      DMF_CHECK(!check_rows || row_of[k] == by_user.first_row + r,
                "{}: rating {} has user row {} where user_counts.npy puts row {}",
                io::path_in(dir, "rows.npy"), out.first_rating + k, row_of[k],
                by_user.first_row + r);
      DMF_CHECK(by_user.columns[k] < item_count &&
                    (k == by_user.offsets[r] || by_user.columns[k - 1] < by_user.columns[k]),
                "{}: rating {} has item row {}, {}", io::path_in(dir, "columns.npy"),
                out.first_rating + k, by_user.columns[k],
                by_user.columns[k] >= item_count
                    ? fmt::format("past the {} items", item_count)
                    : std::string("out of canonical order or repeated"));
    }
  });
  if (out.by_item) {
    // Its user rows ascend along each item, within range.
    const BlockScan item_scan = item_checks->finish();
    bad = item_scan.first_bad;
    const BlockSums item_sums = item_scan.sums;
    // Both sides hold the same pairs: the item rows, which the counts give
    // (a count that moved a rating to another item is the counts' fault),
    // checked first; the user rows last. (Values and times: the checksums.)
    std::array<std::uint64_t, 2> differences{user_sums.columns - item_sums.rows,
                                             user_sums.rows - item_sums.columns};
    comm.allreduce(std::span<std::uint64_t>(differences), dist::Op::kSum);
    if (differences[0] != 0) {
      throw Error(fmt::format("{} does not fit the data set: an item's count differs from its "
                              "ratings in columns.npy",
                              io::path_in(dir, "item_counts.npy")),
                  /*collective=*/true);
    }
    comm.agree([&] {
      if (bad == by_item->nnz()) return;
      const std::uint32_t r = row_holding(*by_item, bad);
      for (std::uint64_t k = by_item->offsets[r]; k < by_item->offsets[r + 1]; ++k) {
        DMF_CHECK(
            by_item->columns[k] < user_count &&
                (k == by_item->offsets[r] || by_item->columns[k - 1] < by_item->columns[k]),
            "{}: entry {} of item row {} has user row {}, {}", io::path_in(dir, "item_users.npy"),
            k - by_item->offsets[r], by_item->first_row + r, by_item->columns[k],
            by_item->columns[k] >= user_count ? fmt::format("past the {} users", user_count)
                                              : std::string("out of canonical order or repeated"));
      }
    });
    if (differences[1] != 0) {
      throw Error(fmt::format("{} does not hold the user rows of the ratings in columns.npy",
                              io::path_in(dir, "item_users.npy")),
                  /*collective=*/true);
    }
  }
  if (options.keep_lines) {
    by_user.lines.resize(n);
    for (std::uint64_t k = 0; k < n; ++k) by_user.lines[k] = out.first_rating + k + 1;
  }
  return out;
}

}  // namespace dmf::data
