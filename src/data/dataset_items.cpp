#include "dataset_items.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "dmf/core/error.hpp"
#include "route_rounds.hpp"

namespace dmf::data {
namespace {

using detail::BucketSort;

/// A rating on its way to its item's owner.
struct ToItemOwnerEntry {
  std::uint32_t user = 0;
  std::uint32_t item = 0;
  float value = 0.0F;
};

/// Entry k of by_user (of user row `user`), going to another rank.
struct OutgoingEntry {
  std::uint64_t k;
  std::uint32_t user;
};
/// Entry j of what arrived from the other ranks.
struct ArrivedEntry {
  std::size_t j;
};
/// Entry k of by_user (of user row `user`), whose item this rank owns.
struct OwnEntry {
  std::uint64_t k;
  std::uint32_t user;
};

/// The t-th of `slices` cuts of [0, n) into about equal parts.
std::uint64_t slice_start(std::uint64_t n, std::size_t slices, std::size_t t) {
  return n / slices * t + std::min<std::uint64_t>(t, n % slices);
}

/// `slices` + 1 rows cutting rows [0, prefix.size() - 1) into runs of about
/// equal entries, `prefix` holding the entries before each row (and all of
/// them last): the first row whose prefix reaches each cut.
std::vector<std::uint32_t> rows_by_entries(std::span<const std::uint64_t> prefix,
                                           std::size_t slices) {
  std::vector<std::uint32_t> rows(slices + 1);
  const auto last = prefix.end() - 1;
  for (std::size_t t = 0; t <= slices; ++t) {
    rows[t] = static_cast<std::uint32_t>(
        std::lower_bound(prefix.begin(), last, slice_start(prefix.back(), slices, t)) -
        prefix.begin());
  }
  rows[slices] = static_cast<std::uint32_t>(prefix.size() - 1);
  return rows;
}

}  // namespace

SparseBlock data_set_item_block(const dist::Comm& comm, const SparseBlock& by_user,
                                const IdDirectory& items, std::span<const std::uint64_t> degrees,
                                const std::string& counts_path, bool times, bool lines,
                                int threads) {
  const auto parts = static_cast<std::size_t>(comm.size());
  const auto self = static_cast<std::size_t>(comm.rank());
  const std::size_t workers = static_cast<std::size_t>(std::max(1, threads));
  const auto& begin = items.ownership().boundaries();  // parts + 1 entries
  const std::uint32_t first_item = begin[self];
  const std::uint32_t last_item = begin[self + 1];

  // Where each user row's ratings of this rank's items lie (columns ascend
  // along a row, so they are one run), and how many precede each row.
  const std::uint32_t users = by_user.rows();
  std::vector<std::uint64_t> here_begin(users);
  std::vector<std::uint64_t> here_prefix(static_cast<std::size_t>(users) + 1, 0);
  for (std::uint32_t r = 0; r < users; ++r) {
    const auto row_begin =
        by_user.columns.begin() + static_cast<std::ptrdiff_t>(by_user.offsets[r]);
    const auto row_end =
        by_user.columns.begin() + static_cast<std::ptrdiff_t>(by_user.offsets[r + 1]);
    const auto low = std::lower_bound(row_begin, row_end, first_item);
    const auto high = std::lower_bound(low, row_end, last_item);
    here_begin[r] = static_cast<std::uint64_t>(low - by_user.columns.begin());
    here_prefix[r + 1] = here_prefix[r] + static_cast<std::uint64_t>(high - low);
  }

  // The other ranks' share, sorted by owner (stable: user order within
  // each) and sent at once. Thread t takes the rows holding the t-th slice
  // of the entries.
  std::vector<ToItemOwnerEntry> got;
  std::vector<std::int64_t> got_times;
  std::vector<std::uint64_t> got_lines;
  std::vector<std::size_t> received(parts, 0);
  if (parts > 1) {
    const auto user_cuts = rows_by_entries(by_user.offsets, workers);
    const auto scan = [&](std::size_t t, auto&& visit) {
      for (std::uint32_t r = user_cuts[t]; r < user_cuts[t + 1]; ++r) {
        std::size_t p = 0;
        for (std::uint64_t k = by_user.offsets[r]; k < by_user.offsets[r + 1]; ++k) {
          while (p + 1 < parts && by_user.columns[k] >= begin[p + 1]) ++p;
          if (p != self) visit(p, OutgoingEntry{k, by_user.first_row + r});
        }
      }
    };
    BucketSort by_owner(threads, workers, parts, scan);
    const auto& start = by_owner.start();
    std::vector<std::size_t> counts(parts);
    for (std::size_t p = 0; p < parts; ++p) counts[p] = start[p + 1] - start[p];
    std::vector<ToItemOwnerEntry> send(start[parts]);
    std::vector<std::int64_t> send_times(times ? send.size() : 0);
    std::vector<std::uint64_t> send_lines(lines ? send.size() : 0);
    by_owner.place(
        scan,
        [&](const OutgoingEntry& o, std::uint64_t at) {
          send[at] = {o.user, by_user.columns[o.k], by_user.values[o.k]};
          if (times) send_times[at] = by_user.times[o.k];
          if (lines) send_lines[at] = by_user.lines[o.k];
        },
        0, parts);
    got = comm.alltoallv<ToItemOwnerEntry>(send, counts, &received);
    send = {};
    const std::vector<std::size_t> none(parts, 0);
    got_times = comm.alltoallv<std::int64_t>(send_times, times ? counts : none);
    got_lines = comm.alltoallv<std::uint64_t>(send_lines, lines ? counts : none);
  }

  // What this rank places, in source-rank order: what came from the lower
  // ranks, its own ratings of its items, what came from the higher ranks.
  // Each source's ratings are in user order, so a stable sort by item row
  // leaves every item's users ascending. The sequence is cut into equal
  // slices, a cut inside the rank's own ratings moved to a row's start.
  std::uint64_t from_lower = 0;
  for (std::size_t p = 0; p < self; ++p) from_lower += received[p];
  const std::uint64_t own = here_prefix.back();
  const std::uint64_t incoming = got.size() + own;
  const std::uint32_t rows = last_item - first_item;
  // Per-thread counts cost 8 bytes a row each: fewer slices when the rows
  // outnumber the entries.
  const std::size_t slices =
      std::clamp<std::size_t>(rows == 0 ? 1 : incoming / (2 * std::uint64_t{rows}), 1, workers);
  std::vector<std::uint64_t> cuts(slices + 1);
  for (std::size_t t = 0; t <= slices; ++t) {
    std::uint64_t at = slice_start(incoming, slices, t);
    if (at > from_lower && at < from_lower + own) {
      const auto row = std::lower_bound(here_prefix.begin(), here_prefix.end(), at - from_lower);
      at = from_lower + *row;
    }
    cuts[t] = at;
  }
  const auto scan = [&](std::size_t t, auto&& visit) {
    const std::uint64_t from = cuts[t];
    const std::uint64_t to = cuts[t + 1];
    for (std::uint64_t j = from; j < std::min(to, from_lower); ++j) {
      visit(got[j].item - first_item, ArrivedEntry{j});
    }
    if (from < from_lower + own && to > from_lower) {
      const auto first =
          static_cast<std::uint32_t>(std::lower_bound(here_prefix.begin(), here_prefix.end() - 1,
                                                      std::max(from, from_lower) - from_lower) -
                                     here_prefix.begin());
      for (std::uint32_t r = first; r < users && here_prefix[r] < to - from_lower; ++r) {
        const std::uint64_t end = here_begin[r] + (here_prefix[r + 1] - here_prefix[r]);
        for (std::uint64_t k = here_begin[r]; k < end; ++k) {
          visit(by_user.columns[k] - first_item, OwnEntry{k, by_user.first_row + r});
        }
      }
    }
    for (std::uint64_t v = std::max(from, from_lower + own); v < to; ++v) {
      const std::uint64_t j = v - own;
      visit(got[j].item - first_item, ArrivedEntry{j});
    }
  };
  BucketSort by_item(threads, slices, rows, scan);
  // The counts file must give each item exactly the ratings that came.
  const auto& start = by_item.start();
  bool fits = degrees.size() == rows;
  for (std::uint32_t r = 0; r < rows && fits; ++r) fits = start[r + 1] - start[r] == degrees[r];
  if (!comm.all(fits)) {
    throw Error(fmt::format("{} does not fit the data set: an item's count differs from its "
                            "ratings in columns.npy",
                            counts_path),
                /*collective=*/true);
  }
  SparseBlock block;
  block.first_row = first_item;
  block.offsets = start;
  block.columns.resize(incoming);
  block.values.resize(incoming);
  block.times.resize(times ? incoming : 0);
  block.lines.resize(lines ? incoming : 0);
  by_item.place(
      scan,
      [&](const auto& from, std::uint64_t at) {
        if constexpr (std::is_same_v<std::decay_t<decltype(from)>, ArrivedEntry>) {
          block.columns[at] = got[from.j].user;
          block.values[at] = got[from.j].value;
          if (times) block.times[at] = got_times[from.j];
          if (lines) block.lines[at] = got_lines[from.j];
        } else {
          block.columns[at] = from.user;
          block.values[at] = by_user.values[from.k];
          if (times) block.times[at] = by_user.times[from.k];
          if (lines) block.lines[at] = by_user.lines[from.k];
        }
      },
      0, rows);
  return block;
}

}  // namespace dmf::data
