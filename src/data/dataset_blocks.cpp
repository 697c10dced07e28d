#include "dataset_blocks.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <vector>

#include "dataset_arrays.hpp"
#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::data {
namespace {

/// Order-free sums of a block's row indices, wrapping modulo 2^64: the two
/// sides of a data set hold the same (user, item) pairs only if the user
/// side's rows sum as the item side's columns and the other way round.
struct BlockSums {
  std::uint64_t rows = 0;     // Σ global row × degree
  std::uint64_t columns = 0;  // Σ column
};

/// What a scan of some rows of a block found: the first entry of the first
/// row at fault (`none` when none: a column at or past the limit, columns
/// not ascending along a row, or, with row_of, an entry whose row is not
/// the one the offsets give), and the rows' sums (at fault or not).
struct RowScan {
  std::uint64_t first_bad = 0;
  BlockSums sums;
};

template <bool kCheckRows>
RowScan scan_rows(const SparseBlock& block, std::span<const std::uint32_t> row_of,
                  std::uint32_t column_limit, std::uint32_t first, std::uint32_t last) {
  RowScan scan{block.nnz(), {}};
  const std::uint32_t* columns = block.columns.data();
  for (std::uint32_t r = first; r < last; ++r) {
    const std::uint32_t row = block.first_row + r;
    const std::uint64_t begin = block.offsets[r];
    const std::uint64_t end = block.offsets[r + 1];
    if (begin == end) continue;
    // Flags gathered without a branch per rating (the loop vectorizes); the
    // message is written for the first rating at fault afterwards.
    unsigned bad = static_cast<unsigned>(columns[begin] >= column_limit);
    std::uint64_t sum = columns[begin];
    for (std::uint64_t k = begin + 1; k < end; ++k) {
      bad |= static_cast<unsigned>(columns[k] >= column_limit) |
             static_cast<unsigned>(columns[k - 1] >= columns[k]);
      sum += columns[k];
    }
    if constexpr (kCheckRows) {
      for (std::uint64_t k = begin; k < end; ++k) bad |= static_cast<unsigned>(row_of[k] != row);
    }
    if (bad != 0 && scan.first_bad == block.nnz()) scan.first_bad = begin;
    scan.sums.rows += std::uint64_t{row} * (end - begin);
    scan.sums.columns += sum;
  }
  return scan;
}

/// One block to scan: rows checked against `row_of` when it is not empty,
/// columns below `column_limit`.
struct ScanJob {
  const SparseBlock* block;
  std::span<const std::uint32_t> row_of;
  std::uint32_t column_limit;
};

/// The blocks scanned in one parallel region: each cut into runs of rows of
/// about kScanEntries entries, handed to whichever thread is free (one
/// region and no static split: under load, a thread that lost its core
/// does not hold the other at a barrier). One RowScan per job.
std::vector<RowScan> scan_blocks(std::span<const ScanJob> jobs, int threads) {
  constexpr std::uint64_t kScanEntries = std::uint64_t{1} << 18U;
  struct Run {
    std::size_t job;
    std::uint32_t first;
    std::uint32_t last;
  };
  std::vector<Run> runs;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const SparseBlock& block = *jobs[j].block;
    std::uint32_t first = 0;
    for (std::uint32_t r = 0; r < block.rows(); ++r) {
      if (block.offsets[r + 1] - block.offsets[first] >= kScanEntries || r + 1 == block.rows()) {
        runs.push_back({j, first, r + 1});
        first = r + 1;
      }
    }
  }
  std::vector<RowScan> found(runs.size());
  parallel_for_dynamic(
      threads, static_cast<std::int64_t>(runs.size()), 1, [&](std::int64_t i, int /*worker*/) {
        const Run& run = runs[static_cast<std::size_t>(i)];
        const ScanJob& job = jobs[run.job];
        found[static_cast<std::size_t>(i)] =
            job.row_of.empty()
                ? scan_rows<false>(*job.block, {}, job.column_limit, run.first, run.last)
                : scan_rows<true>(*job.block, job.row_of, job.column_limit, run.first, run.last);
      });
  std::vector<RowScan> out;
  for (const auto& job : jobs) out.push_back({job.block->nnz(), {}});
  for (std::size_t i = 0; i < runs.size(); ++i) {
    RowScan& total = out[runs[i].job];
    total.first_bad = std::min(total.first_bad, found[i].first_bad);
    total.sums.rows += found[i].sums.rows;
    total.sums.columns += found[i].sums.columns;
  }
  return out;
}

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

template <class T>
std::span<char> bytes_of(std::vector<T>& v) {
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
  std::vector<std::uint32_t> row_of;
  SparseBlock* by_item = nullptr;
  std::uint64_t item_first = 0;
  if (item_block) {
    by_item = &out.by_item.emplace();
    by_item->first_row = items.first_row();
    by_item->offsets = offsets_of(item_degrees);
    item_first = comm.exscan_sum(by_item->offsets.back());
  }
  // The arrays, sized on all threads: a resize is the first touch of the
  // fresh pages, whose faults (the kernel clearing each page) cost about as
  // much as reading them, and would otherwise fall on one thread.
  std::vector<std::function<void()>> sizing{[&] { by_user.columns.resize(n); },
                                            [&] { by_user.values.resize(n); }};
  if (times) sizing.emplace_back([&] { by_user.times.resize(n); });
  if (check_rows) sizing.emplace_back([&] { row_of.resize(n); });
  if (by_item != nullptr) {
    const std::uint64_t m = by_item->offsets.back();
    sizing.emplace_back([&, m] { by_item->columns.resize(m); });
    sizing.emplace_back([&, m] { by_item->values.resize(m); });
    if (times) sizing.emplace_back([&, m] { by_item->times.resize(m); });
  }
  comm.agree([&] {
    parallel_for_dynamic(
        options.threads, static_cast<std::int64_t>(sizing.size()), 1,
        [&](std::int64_t k, int /*worker*/) { sizing[static_cast<std::size_t>(k)](); });
  });
  std::vector<ArrayPart> parts{
      {"columns.npy", io::NpyType::kUInt32, out.first_rating, bytes_of(by_user.columns)},
      {"values.npy", io::NpyType::kFloat32, out.first_rating, bytes_of(by_user.values)}};
  if (check_rows) {
    parts.push_back({"rows.npy", io::NpyType::kUInt32, out.first_rating, bytes_of(row_of)});
  }
  if (times) {
    parts.push_back({"times.npy", io::NpyType::kInt64, out.first_rating, bytes_of(by_user.times)});
  }
  if (by_item != nullptr) {
    parts.push_back(
        {"item_users.npy", io::NpyType::kUInt32, item_first, bytes_of(by_item->columns)});
    parts.push_back(
        {"item_values.npy", io::NpyType::kFloat32, item_first, bytes_of(by_item->values)});
    if (times) {
      parts.push_back(
          {"item_times.npy", io::NpyType::kInt64, item_first, bytes_of(by_item->times)});
    }
  }
  read_verified(comm, dir, manifest, ratings, parts, options.threads);

  // Every rating's user row is the one user_counts.npy gives it, and its
  // item rows ascend along the row.
  const auto item_count = static_cast<std::uint32_t>(items.total_rows());
  const auto user_count = static_cast<std::uint32_t>(users.total_rows());
  std::vector<ScanJob> jobs{{&by_user, row_of, item_count}};
  if (by_item != nullptr) jobs.push_back({by_item, {}, user_count});
  const std::vector<RowScan> scans = scan_blocks(jobs, options.threads);
  std::uint64_t bad = scans[0].first_bad;
  const BlockSums user_sums = scans[0].sums;
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
    bad = scans[1].first_bad;
    const BlockSums item_sums = scans[1].sums;
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
