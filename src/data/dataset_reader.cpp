// Loading a data set directory (data/dataset_dir.hpp): each rank reads the
// ratings of the users it owns (dataset_share), routes them to the owners of
// their items, and lays out the item side's block, all without parsing or
// sorting.
#include <algorithm>
#include <filesystem>

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

/// A rating on its way to its item's owner.
struct ToItemOwner {
  std::uint32_t user = 0;
  std::uint32_t item = 0;
  float value = 0.0F;
};

/// Calls visit(row, k, owner) for every rating k of `block`, in order, with
/// the owner of its item. Columns ascend within a row, so their owners do
/// too: a walk along the boundaries finds them without a search.
template <class Visit>
void visit_with_owners(const SparseBlock& block, const Ownership& owners, Visit&& visit) {
  const auto& begin = owners.boundaries();  // parts + 1 entries
  const std::size_t parts = begin.size() - 1;
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    std::size_t p = 0;
    for (std::uint64_t k = block.offsets[r]; k < block.offsets[r + 1]; ++k) {
      while (p + 1 < parts && block.columns[k] >= begin[p + 1]) ++p;
      visit(r, k, p);
    }
  }
}

/// Collective: the item side's CSC block from `by_user`, every rank's CSR of
/// its users; `degrees` are the ratings of each item this rank owns
/// (item_counts.npy), which lay the block out before anything arrives.
/// Ratings are placed in source-rank order, which is user order, so each
/// item's users come out ascending: the canonical order the text load's
/// build_block sorts into. The ratings this rank keeps for itself are placed
/// straight from `by_user`. `times`, `lines`: whether by_user holds them
/// (the same on every rank, from the options, even where it holds no
/// ratings). Errors (counts that do not fit the arrays) name `counts_path`.
SparseBlock item_block(const dist::Comm& comm, const SparseBlock& by_user, const IdDirectory& items,
                       std::span<const std::uint64_t> degrees, const std::string& counts_path,
                       bool times, bool lines, int threads) {
  const auto parts = static_cast<std::size_t>(comm.size());
  const auto self = static_cast<std::size_t>(comm.rank());
  std::vector<std::size_t> counts(parts, 0);
  visit_with_owners(by_user, items.ownership(),
                    [&](std::uint32_t /*r*/, std::uint64_t /*k*/, std::size_t p) { ++counts[p]; });
  counts[self] = 0;  // kept here, not sent
  std::vector<std::size_t> cursor(parts, 0);
  for (std::size_t p = 1; p < parts; ++p) cursor[p] = cursor[p - 1] + counts[p - 1];
  const std::size_t sent = cursor[parts - 1] + counts[parts - 1];
  std::vector<ToItemOwner> send(sent);
  std::vector<std::int64_t> send_times(times ? sent : 0);
  std::vector<std::uint64_t> send_lines(lines ? sent : 0);
  if (sent > 0) {
    visit_with_owners(by_user, items.ownership(),
                      [&](std::uint32_t r, std::uint64_t k, std::size_t p) {
                        if (p == self) return;
                        const std::size_t at = cursor[p]++;
                        send[at] = {by_user.first_row + r, by_user.columns[k], by_user.values[k]};
                        if (times) send_times[at] = by_user.times[k];
                        if (lines) send_lines[at] = by_user.lines[k];
                      });
  }
  std::vector<std::size_t> received;
  const auto got = comm.alltoallv<ToItemOwner>(send, counts, &received);
  send = {};
  const std::vector<std::size_t> none(parts, 0);
  const auto got_times = comm.alltoallv<std::int64_t>(send_times, times ? counts : none);
  const auto got_lines = comm.alltoallv<std::uint64_t>(send_lines, lines ? counts : none);

  SparseBlock block;
  block.first_row = items.first_row();
  block.offsets.assign(1, 0);
  for (const auto d : degrees) block.offsets.push_back(block.offsets.back() + d);
  const std::uint64_t total = block.offsets.back();
  std::vector<std::uint64_t> place(block.offsets.begin(), block.offsets.end() - 1);
  block.columns.resize(total);
  block.values.resize(total);
  block.times.resize(times ? total : 0);
  block.lines.resize(lines ? total : 0);
  // Thread t places the ratings of its range of item rows, visiting every
  // rating in source order, so each item's users stay in order whatever the
  // threads.
  const int workers = std::max(1, std::min<int>(threads, static_cast<int>(place.size())));
  std::vector<std::uint8_t> fit(static_cast<std::size_t>(workers), 1);
  parallel_for(workers, workers, [&](std::int64_t t) {
    const io::ByteRange mine = io::split_range(0, place.size(), static_cast<int>(t), workers);
    bool fits = true;
    // Where the rating goes, or `total` when another thread places it.
    auto slot = [&](std::uint32_t item) {
      const std::uint64_t row = item - block.first_row;
      if (row < mine.begin || row >= mine.end) return total;
      const std::uint64_t at = place[row]++;
      fits = fits && at < block.offsets[row + 1];
      return fits ? at : total;
    };
    std::size_t next = 0;  // in got
    for (std::size_t source = 0; source < parts && fits; ++source) {
      if (source != self) {
        for (std::size_t j = 0; j < received[source] && fits; ++j, ++next) {
          const std::uint64_t at = slot(got[next].item);
          if (at == total) continue;
          block.columns[at] = got[next].user;
          block.values[at] = got[next].value;
          if (times) block.times[at] = got_times[next];
          if (lines) block.lines[at] = got_lines[next];
        }
        continue;
      }
      visit_with_owners(by_user, items.ownership(),
                        [&](std::uint32_t r, std::uint64_t k, std::size_t p) {
                          if (p != self) return;
                          const std::uint64_t at = slot(by_user.columns[k]);
                          if (at == total) return;
                          block.columns[at] = by_user.first_row + r;
                          block.values[at] = by_user.values[k];
                          if (times) block.times[at] = by_user.times[k];
                          if (lines) block.lines[at] = by_user.lines[k];
                        });
    }
    for (std::uint64_t row = mine.begin; row < mine.end && fits; ++row) {
      fits = place[row] == block.offsets[row + 1];
    }
    fit[static_cast<std::size_t>(t)] = fits ? 1 : 0;
  });
  const bool fits = std::ranges::all_of(fit, [](std::uint8_t f) { return f != 0; });
  if (!comm.all(fits)) {
    throw Error(fmt::format("{} does not fit the data set: an item's count differs from its "
                            "ratings in columns.npy",
                            counts_path),
                /*collective=*/true);
  }
  return block;
}

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
  DataSetShare share = read_data_set_share(comm, dir, options);
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
  data.by_item = item_block(comm, share.by_user, share.items, share.item_degrees,
                            (fs::path(dir) / "item_counts.npy").string(), options.keep_time,
                            options.keep_lines, options.threads);
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
  std::vector<std::uint32_t> distinct(block.columns);
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
  const DataSetShare share = read_data_set_share(comm, dir, read);
  return pick_ratings(comm, share.by_user, share.users, share.items, share.first_rating,
                      [&](std::uint64_t /*k*/, std::string_view user, std::string_view item) {
                        return !options.keep || options.keep(user, item);
                      });
}

}  // namespace dmf::data
