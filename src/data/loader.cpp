#include "dmf/data/loader.hpp"

#include <algorithm>

#include "dmf/core/timer.hpp"
#include "dmf/data/block_builder.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/local_ratings.hpp"
#include "routing.hpp"

namespace dmf::data {

RatingsData load_ratings(const dist::Comm& comm, const std::string& path,
                         const LoadOptions& options) {
  if (is_data_set_dir(comm, path)) return load_data_set(comm, path, options);
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
  for (const auto n : local.lines_per_rank)
    report.first_line.push_back(report.first_line.back() + n);
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
    auto built = build_block(rows.first_row(), rows.local_rows(), routed, times, options.duplicates,
                             options.keep_lines, options.threads);
    if (side == Side::kUsers) {
      // Both sides see the same duplicates; count and report them once.
      const std::uint64_t pairs = comm.allreduce(built.duplicate_pairs, dist::Op::kSum);
      if (pairs > 0 && options.duplicates == DuplicatePolicy::kError) {
        raise_duplicates(comm, data.users, data.items, path, built, pairs);
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
