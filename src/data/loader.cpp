#include "dmf/data/loader.hpp"

#include <algorithm>

#include "dmf/core/timer.hpp"
#include "dmf/data/block_builder.hpp"
#include "dmf/data/local_ratings.hpp"

namespace dmf::data {
namespace {


/// Pairs of a duplicate message shown at most.
constexpr std::size_t kShownDuplicates = 3;

/// Which side a block is built for.
enum class Side { kUsers, kItems };

/// Sends every local rating to the owner of its row on `side`; returns what
/// this rank receives, in source-rank order, which is file order.
std::vector<RoutedRating> route(const dist::Comm& comm, const LocalRatings& local, Side side,
                                std::span<const std::uint32_t> user_rows,
                                std::span<const std::uint32_t> item_rows,
                                const Ownership& ownership, std::vector<std::int64_t>& times) {
  const auto parts = static_cast<std::size_t>(comm.size());
  const bool by_user = side == Side::kUsers;
  const auto& row_of_rating = by_user ? local.users : local.items;
  const auto row_rows = by_user ? user_rows : item_rows;
  const auto& column_of_rating = by_user ? local.items : local.users;
  const auto column_rows = by_user ? item_rows : user_rows;

  // The owner of each distinct local token, looked up once.
  std::vector<std::uint32_t> owner(row_rows.size());
  for (std::size_t k = 0; k < row_rows.size(); ++k) {
    owner[k] = static_cast<std::uint32_t>(ownership.owner(row_rows[k]));
  }

  // Counting sort by destination keeps file order within each destination.
  std::vector<std::size_t> counts(parts, 0);
  for (const auto r : row_of_rating) ++counts[owner[r]];
  std::vector<std::size_t> cursor(parts, 0);
  for (std::size_t p = 1; p < parts; ++p) cursor[p] = cursor[p - 1] + counts[p - 1];
  std::vector<RoutedRating> send(local.size());
  std::vector<std::int64_t> send_times(local.times.empty() ? 0 : local.size());
  for (std::size_t k = 0; k < local.size(); ++k) {
    const std::size_t at = cursor[owner[row_of_rating[k]]]++;
    send[at] = {local.lines[k], row_rows[row_of_rating[k]], column_rows[column_of_rating[k]],
                local.values[k], 0};
    if (!send_times.empty()) send_times[at] = local.times[k];
  }
  auto received = comm.alltoallv<RoutedRating>(send, counts);
  if (!local.times.empty()) {
    times = comm.alltoallv<std::int64_t>(send_times, counts);
    for (std::size_t k = 0; k < received.size(); ++k) {
      received[k].time_slot = static_cast<std::uint32_t>(k);
    }
  }
  return received;
}

/// Raises, on every rank, the error for duplicated pairs under kError.
[[noreturn]] void raise_duplicates(const dist::Comm& comm, const RatingsData& data,
                                   const BlockBuildResult& built, std::uint64_t pairs) {
  auto examples = comm.allgatherv<DuplicateExample>(built.examples);
  std::ranges::sort(examples, {}, &DuplicateExample::first_line);
  if (examples.size() > kShownDuplicates) examples.resize(kShownDuplicates);
  std::vector<std::uint32_t> user_rows;
  std::vector<std::uint32_t> item_rows;
  for (const auto& e : examples) {
    user_rows.push_back(e.row);
    item_rows.push_back(e.column);
  }
  const auto users = data.users.tokens_of(comm, user_rows);
  const auto items = data.items.tokens_of(comm, item_rows);
  std::string shown;
  for (std::size_t k = 0; k < examples.size(); ++k) {
    shown += fmt::format("{}user {}, item {} on lines {} and {}", k == 0 ? "" : "; ", users[k],
                         items[k], examples[k].first_line, examples[k].second_line);
  }
  throw Error(fmt::format("{}: {} (user, item) pair{} rated more than once: {}{}. Pass "
                          "--duplicates first|last|mean|sum to merge them",
                          data.report.path, pairs, pairs == 1 ? " is" : "s are", shown,
                          pairs > examples.size() ? "; ..." : ""),
              /*collective=*/true);
}

}  // namespace

RatingsData load_ratings(const dist::Comm& comm, const std::string& path,
                         const LoadOptions& options) {
  RatingsData data;
  LoadReport& report = data.report;
  report.path = path;
  Stopwatch clock;

  report.format = comm.agree([&] { return io::detect_format(path, options.format); });
  report.file_bytes = comm.agree([&] { return io::file_size(path); });
  const io::ByteRange range =
      io::split_range(report.format.data_begin, report.file_bytes, comm.rank(), comm.size());
  LocalRatings local = read_local_ratings(comm, path, report.format, range, options);
  report.lines = local.lines_seen;
  report.first_line.assign(1, report.format.data_begin_line);
  for (const auto n : local.lines_per_rank) report.first_line.push_back(report.first_line.back() + n);
  report.bad_lines = local.bad_lines;
  report.bad_line_examples = std::move(local.bad_line_examples);
  report.ratings_read = comm.allreduce<std::uint64_t>(local.size(), dist::Op::kSum);
  if (report.ratings_read == 0) {
    throw Error(report.bad_lines > 0
                    ? fmt::format("{} contains no valid ratings ({} bad lines skipped; first: {})",
                                  path, report.bad_lines, report.bad_line_examples.front())
                    : fmt::format("{} contains no ratings", path),
                /*collective=*/true);
  }
  report.read_seconds = clock.seconds();

  clock.restart();
  std::vector<std::uint32_t> user_rows;
  std::vector<std::uint32_t> item_rows;
  data.users = IdDirectory::build(comm, local.user_tokens, local.user_counts, user_rows);
  data.items = IdDirectory::build(comm, local.item_tokens, local.item_counts, item_rows);
  local.user_tokens.clear();
  local.item_tokens.clear();
  report.index_seconds = clock.seconds();

  clock.restart();
  for (const Side side : {Side::kUsers, Side::kItems}) {
    const IdDirectory& rows = side == Side::kUsers ? data.users : data.items;
    std::vector<std::int64_t> times;
    const auto routed = route(comm, local, side, user_rows, item_rows, rows.ownership(), times);
    auto built = build_block(rows.first_row(), rows.local_rows(), routed, times,
                             options.duplicates, options.keep_lines, options.threads);
    if (side == Side::kUsers) {
      // Both sides see the same duplicates; count and report them once.
      const std::uint64_t pairs = comm.allreduce(built.duplicate_pairs, dist::Op::kSum);
      if (pairs > 0 && options.duplicates == DuplicatePolicy::kError) {
        raise_duplicates(comm, data, built, pairs);
      }
      report.duplicate_pairs = pairs;
      report.duplicates_merged = comm.allreduce(built.duplicate_ratings, dist::Op::kSum);
      data.by_user = std::move(built.block);
    } else {
      data.by_item = std::move(built.block);
    }
  }
  report.ratings = report.ratings_read - report.duplicates_merged;
  report.route_seconds = clock.seconds();
  return data;
}

}  // namespace dmf::data
