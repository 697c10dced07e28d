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

  // A file, or a directory of part files read as their concatenation.
  const auto input = comm.agree([&] { return io::PartFiles::open(path, options.format); });
  report.format = input.format();
  report.file_bytes = input.size();
  const io::ByteRange range =
      io::split_range(report.format.data_begin, report.file_bytes, comm.rank(), comm.size());
  // Line numbers travel only when the blocks keep them: routing keeps file
  // order, which is all the duplicate policies need (docs/design.md §3).
  LocalRatings local = read_local_ratings(comm, input, range, options, options.keep_lines);
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
  std::vector<std::uint64_t> user_counts;  // ratings of each owned row, over all ranks
  std::vector<std::uint64_t> item_counts;
  data.users =
      IdDirectory::build(comm, local.user_tokens, local.user_counts, user_rows, &user_counts);
  data.items =
      IdDirectory::build(comm, local.item_tokens, local.item_counts, item_rows, &item_counts);
  local.user_tokens = TokenTable();
  local.item_tokens = TokenTable();
  report.index_seconds = clock.seconds();

  clock.restart();
  RouteOptions route{.duplicates = options.duplicates,
                     .lines = options.keep_lines,
                     .times = options.keep_time,
                     .threads = options.threads,
                     .round_ratings = options.round_ratings};
  // The user side's rounds are the first half of the routing, the item
  // side's the second.
  const auto route_progress = [&](double from) {
    return options.on_route_progress ? std::function<void(double)>([&options, from](double f) {
      options.on_route_progress(from + f / 2);
    })
                                     : std::function<void(double)>();
  };
  route.on_round = route_progress(0.0);
  RouteBuffers buffers;  // the user side's, reused by the item side
  {
    auto built = route_and_build(comm, local, Side::kUsers, user_rows, item_rows, data.users,
                                 user_counts, route, buffers);
    // Both sides see the same duplicates; count and report them once.
    const std::uint64_t pairs = comm.allreduce(built.duplicate_pairs, dist::Op::kSum);
    if (pairs > 0 && options.duplicates == DuplicatePolicy::kError) {
      if (!route.lines) {
        // The error names lines, which were not read: read them now (the
        // same parse gives the same local numbering) and route again.
        buffers = RouteBuffers{};
        built = BlockBuildResult{};
        local = read_local_ratings(comm, input, range, options, /*with_lines=*/true);
        route.lines = true;
        built = route_and_build(comm, local, Side::kUsers, user_rows, item_rows, data.users,
                                user_counts, route, buffers);
      }
      raise_duplicates(comm, data.users, data.items, path, local.line_names, built, pairs);
    }
    report.duplicate_pairs = pairs;
    report.duplicates_merged = comm.allreduce(built.duplicate_ratings, dist::Op::kSum);
    data.by_user = std::move(built.block);
  }
  // The item side from the user side's block: already merged, and it
  // arrives sorted (docs/design.md §3). The parsed ratings go first.
  local = LocalRatings{};
  route.on_round = route_progress(0.5);
  data.by_item = transpose_block(comm, data.by_user, data.items, item_counts, route, buffers);
  report.ratings = report.ratings_read - report.duplicates_merged;
  report.route_seconds = clock.seconds();
  return data;
}

}  // namespace dmf::data
