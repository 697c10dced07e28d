// Loading a data set directory (data/dataset_dir.hpp): each rank reads the
// ratings of the users it owns and, in format 2, of the items it owns
// (dataset_share); the item side of a format 1 data set is built from the
// user side (dataset_items); all without parsing or sorting by comparison.
#include <algorithm>
#include <filesystem>

#include "dataset_items.hpp"
#include "dataset_share.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/block_builder.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/io/range_reader.hpp"
#include "dmf/model/dir_writer.hpp"
#include "routing.hpp"

namespace dmf::data {
namespace {

namespace fs = std::filesystem;

/// Collective: load_data_set under LoadOptions::keep (--holdout). The kept
/// ratings may leave IDs out, which renumbers rows and moves owners; they
/// are built as the text load builds what it parsed, so both give the same
/// blocks.
RatingsData load_kept(const dist::Comm& comm, const std::string& dir, const LoadOptions& options) {
  Stopwatch clock;
  LocalRatings local = read_data_set_here(comm, dir, options);
  const double read_seconds = clock.seconds();
  if (comm.allreduce<std::uint64_t>(local.size(), dist::Op::kSum) == 0) {
    throw Error(fmt::format("{} contains no ratings that are kept", dir), /*collective=*/true);
  }
  RatingsData data = ratings_from_local(comm, local, options);
  data.report.path = dir;
  data.report.read_seconds = read_seconds;
  return data;
}

}  // namespace

bool is_data_set_dir(const dist::Comm& comm, const std::string& path) {
  std::uint8_t yes = 0;
  if (comm.is_root()) {
    std::error_code ec;
    yes =
        fs::is_directory(path, ec) && fs::exists(fs::path(path) / model::kManifestFile, ec) ? 1 : 0;
  }
  return comm.broadcast(yes, 0) != 0;
}

RatingsData load_data_set(const dist::Comm& comm, const std::string& dir,
                          const LoadOptions& options) {
  if (options.keep) return load_kept(comm, dir, options);
  DataSetShare share = read_data_set_share(comm, dir, options, /*item_side=*/true);
  if (share.ratings == 0) {
    throw Error(fmt::format("{} contains no ratings", dir), /*collective=*/true);
  }
  RatingsData data;
  LoadReport& report = data.report;
  report.path = dir;
  report.file_bytes = share.file_bytes;
  report.lines = share.ratings;
  // "Lines" of a data set are its ratings, 1-based; rank p holds those of
  // the users it owns (what dmf split sends each rank's decisions by).
  report.first_line = comm.allgather<std::uint64_t>(share.first_rating + 1);
  report.first_line.push_back(share.ratings + 1);
  report.ratings_read = share.ratings;
  report.ratings = share.ratings;
  report.read_seconds = share.read_seconds;
  report.index_seconds = share.index_seconds;
  Stopwatch clock;
  if (share.by_item) {
    data.by_item = std::move(*share.by_item);
  } else {
    data.by_item = data_set_item_block(comm, share.by_user, share.items, share.item_degrees,
                                       (fs::path(dir) / "item_counts.npy").string(),
                                       options.keep_time, options.keep_lines, options.threads);
  }
  data.by_user = std::move(share.by_user);
  data.users = std::move(share.users);
  data.items = std::move(share.items);
  report.route_seconds = clock.seconds();
  return data;
}

RatingsData ratings_from_local(const dist::Comm& comm, LocalRatings& local,
                               const LoadOptions& options) {
  RatingsData data;
  LoadReport& report = data.report;
  report.ratings_read = comm.allreduce<std::uint64_t>(local.size(), dist::Op::kSum);
  report.ratings = report.ratings_read;
  report.lines = local.lines_seen;
  report.first_line.assign(1, 1);
  for (const auto n : local.lines_per_rank)
    report.first_line.push_back(report.first_line.back() + n);
  Stopwatch clock;
  std::vector<std::uint32_t> user_rows;
  std::vector<std::uint32_t> item_rows;
  std::vector<std::uint64_t> user_counts;  // ratings of each owned row, over all ranks
  std::vector<std::uint64_t> item_counts;
  data.users =
      IdDirectory::build(comm, local.user_tokens, local.user_counts, user_rows, &user_counts);
  data.items =
      IdDirectory::build(comm, local.item_tokens, local.item_counts, item_rows, &item_counts);
  report.index_seconds = clock.seconds();
  clock.restart();
  // A data set's pairs are distinct (merged when it was converted), so the
  // duplicates policy has nothing to do; the item side is sent on from the
  // user side's block, as a text load does.
  const RouteOptions route{.duplicates = DuplicatePolicy::kError,
                           .lines = options.keep_lines,
                           .times = comm.any(!local.times.empty()),
                           .threads = options.threads,
                           .round_ratings = options.round_ratings};
  RouteBuffers buffers;
  data.by_user = route_and_build(comm, local, Side::kUsers, user_rows, item_rows, data.users,
                                 user_counts, route, buffers)
                     .block;
  data.by_item = transpose_block(comm, data.by_user, data.items, item_counts, route, buffers);
  report.route_seconds = clock.seconds();
  return data;
}

LocalRatings pick_ratings(const dist::Comm& comm, const SparseBlock& block,
                          const IdDirectory& users, const IdDirectory& items,
                          std::uint64_t first_position,
                          const std::function<bool(std::uint64_t k, std::string_view user,
                                                   std::string_view item)>& pick) {
  // The tokens of the items this rank's ratings name, asked of their owners once.
  std::vector<std::uint32_t> distinct(block.columns.begin(), block.columns.end());
  std::ranges::sort(distinct);
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const auto item_tokens = items.tokens_of(comm, distinct);

  LocalRatings local;
  const bool times = !block.times.empty();
  std::vector<std::uint32_t> user_local(block.rows(), kUnknownRow);
  std::vector<std::uint32_t> item_local(distinct.size(), kUnknownRow);
  std::optional<std::string> failure;
  try {
    for (std::uint32_t r = 0; r < block.rows(); ++r) {
      const std::string_view user = users.token(r);
      for (std::uint64_t k = block.offsets[r]; k < block.offsets[r + 1]; ++k) {
        const auto i = static_cast<std::size_t>(
            std::ranges::lower_bound(distinct, block.columns[k]) - distinct.begin());
        if (!pick(k, user, item_tokens[i])) continue;
        if (user_local[r] == kUnknownRow) {
          user_local[r] = local.user_tokens.push(user);
          local.user_counts.push_back(0);
        }
        if (item_local[i] == kUnknownRow) {
          item_local[i] = local.item_tokens.push(item_tokens[i]);
          local.item_counts.push_back(0);
        }
        ++local.user_counts[user_local[r]];
        ++local.item_counts[item_local[i]];
        local.users.push_back(user_local[r]);
        local.items.push_back(item_local[i]);
        local.values.push_back(block.values[k]);
        if (times) local.times.push_back(block.times[k]);
        local.lines.push_back(first_position + k + 1);
      }
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  comm.raise_if_any(failure);
  local.lines_per_rank = comm.allgather<std::uint64_t>(block.nnz());
  for (const auto n : local.lines_per_rank) local.lines_seen += n;
  return local;
}

LocalRatings read_data_set_here(const dist::Comm& comm, const std::string& dir,
                                const LoadOptions& options) {
  LoadOptions read = options;
  read.keep_lines = false;
  const DataSetShare share = read_data_set_share(comm, dir, read, /*item_side=*/false);
  return pick_ratings(comm, share.by_user, share.users, share.items, share.first_rating,
                      [&](std::uint64_t /*k*/, std::string_view user, std::string_view item) {
                        return !options.keep || options.keep(user, item);
                      });
}

}  // namespace dmf::data
