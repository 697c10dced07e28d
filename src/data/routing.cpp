#include "routing.hpp"

#include <algorithm>

#include "dmf/core/parallel.hpp"
#include "huge_pages.hpp"
#include "route_rounds.hpp"

namespace dmf::data {
namespace {

using detail::BucketSort;
using detail::RoundExchange;
using detail::Rounds;

/// Pairs of a duplicate message shown at most.
constexpr std::size_t kShownDuplicates = 3;

/// Tells options.on_round that `round` of `rounds` is done.
void report_round(const RouteOptions& options, std::uint64_t round, const Rounds& rounds) {
  if (options.on_round) {
    options.on_round(static_cast<double>(round + 1) / static_cast<double>(rounds.count()));
  }
}

/// Entries a transpose writes out at a time, at most, besides one round:
/// the block's entries over this many passes (see transpose_block).
constexpr std::uint64_t kTransposePasses = 4;

}  // namespace

BlockBuildResult route_and_build(const dist::Comm& comm, const LocalRatings& local, Side side,
                                 std::span<const std::uint32_t> user_rows,
                                 std::span<const std::uint32_t> item_rows,
                                 const IdDirectory& directory,
                                 std::span<const std::uint64_t> owned_counts,
                                 const RouteOptions& options, RouteBuffers& buffers) {
  const bool by_user = side == Side::kUsers;
  const auto& row_of_rating = by_user ? local.users : local.items;
  const auto row_rows = by_user ? user_rows : item_rows;
  const auto& column_of_rating = by_user ? local.items : local.users;
  const auto column_rows = by_user ? item_rows : user_rows;
  const bool with_times = options.times;
  const bool with_lines = options.lines;
  DMF_CHECK(!with_lines || local.lines.size() == local.size(),
            "internal: routing lines that were not kept");
  DMF_CHECK(!with_times || local.times.size() == local.size(),
            "internal: routing times that were not kept");

  const Rounds rounds(comm, directory, owned_counts, local.size(), options.round_ratings);
  std::vector<std::uint32_t> bucket(row_rows.size());  // of each distinct local token
  for (std::size_t t = 0; t < row_rows.size(); ++t) bucket[t] = rounds.bucket(row_rows[t]);

  // The ratings sorted by bucket as indices (4 bytes each), each round's
  // records gathered through them: cheap where the file is about in bucket
  // order already (sorted by user, the usual case). Thread t sorts the
  // t-th slice of the ratings.
  const std::size_t n = local.size();
  DMF_CHECK(n < 0xFFFFFFFFULL, "more than 4 billion ratings on one rank");
  const auto slices = static_cast<std::size_t>(std::max(1, options.threads));
  const auto slice = [&](std::size_t t) { return n / slices * t + std::min(t, n % slices); };
  const auto scan = [&](std::size_t t, auto&& visit) {
    const std::size_t end = slice(t + 1);
    for (std::size_t k = slice(t); k < end; ++k) visit(bucket[row_of_rating[k]], k);
  };
  BucketSort sort(options.threads, slices, rounds.buckets(), scan);
  buffers.order.resize(n);
  sort.place(
      scan,
      [&](std::size_t k, std::uint64_t at) { buffers.order[at] = static_cast<std::uint32_t>(k); },
      0, rounds.buckets());

  BlockAssembler assembler(directory.first_row(), owned_counts, with_times, with_lines);
  RoundExchange exchange(comm, rounds, sort.start());
  for (std::uint64_t round = 0; round < rounds.count(); ++round) {
    const std::uint64_t begin = exchange.begin(round);
    buffers.send.resize(exchange.end(round) - begin);
    parallel_for(
        options.threads, static_cast<std::int64_t>(buffers.send.size()), [&](std::int64_t j) {
          const std::uint32_t k = buffers.order[begin + static_cast<std::uint64_t>(j)];
          buffers.send[static_cast<std::size_t>(j)] = BlockEntry{
              row_rows[row_of_rating[k]], column_rows[column_of_rating[k]], local.values[k]};
        });
    exchange.run(
        round, buffers.send, [&](std::uint64_t j) { return local.times[buffers.order[j]]; },
        [&](std::uint64_t j) { return local.lines[buffers.order[j]]; }, with_times, with_lines,
        [&](std::span<const BlockEntry> entries, std::span<const std::int64_t> times,
            std::span<const std::uint64_t> lines) { assembler.add(entries, times, lines); },
        buffers);
    report_round(options, round, rounds);
  }
  return assembler.finish(options.duplicates, options.threads);
}

SparseBlock transpose_block(const dist::Comm& comm, const SparseBlock& by_user,
                            const IdDirectory& items, std::span<const std::uint64_t> item_counts,
                            const RouteOptions& options, RouteBuffers& buffers) {
  const bool with_times = options.times;
  const bool with_lines = options.lines;
  const std::uint64_t n = by_user.nnz();
  DMF_CHECK(n < 0xFFFFFFFFULL, "more than 4 billion ratings on one rank");
  const auto parts = static_cast<std::size_t>(comm.size());
  const auto me = static_cast<std::size_t>(comm.rank());
  const Ownership& owners = items.ownership();
  const std::uint32_t my_first = items.first_row();
  const std::uint32_t my_rows = items.local_rows();
  const auto mine = [&](std::uint32_t item) { return item - my_first < my_rows; };

  // How many entries each rank sends each owned item row: with these the
  // owner knows where every source's run of a row starts (sources own
  // ascending user ranges, so a row is source 0's users, then source 1's,
  // ...), and places what arrives straight into the block in any order of
  // arrival: its own entries without an exchange, the others' as rounds
  // come (docs/design.md §3). Counts of 4 bytes: a rank holds fewer than
  // 2^32 entries.
  // Thread t counts (and below writes the records of) the user rows holding
  // the t-th slice of the entries. Counted per slice while that table is no
  // larger than a quarter of the block's entries (the usual case), the
  // counts also give the records' sort its bucket counts, with no scan of
  // the block of its own; else one count, and the sort scans.
  const auto slices = static_cast<std::size_t>(std::max(1, options.threads));
  std::vector<std::uint32_t> first_row_of(slices + 1, by_user.rows());
  for (std::size_t t = 0; t < slices; ++t) {
    const std::uint64_t first_entry = n / slices * t + std::min<std::uint64_t>(t, n % slices);
    first_row_of[t] = static_cast<std::uint32_t>(
        std::lower_bound(by_user.offsets.begin(), by_user.offsets.end() - 1, first_entry) -
        by_user.offsets.begin());
  }
  const std::uint32_t item_rows = owners.total_rows();
  const bool per_slice = std::uint64_t{slices} * item_rows <= n / 4;
  const std::size_t count_slices = per_slice ? slices : 1;
  std::vector<std::uint32_t> slice_items(count_slices * item_rows, 0);  // [slice][item row]
  parallel_for(options.threads, static_cast<std::int64_t>(count_slices), [&](std::int64_t t) {
    const auto slice = static_cast<std::size_t>(t);
    std::uint32_t* count = slice_items.data() + slice * item_rows;
    const std::uint64_t end = by_user.offsets[per_slice ? first_row_of[slice + 1] : by_user.rows()];
    for (std::uint64_t k = by_user.offsets[per_slice ? first_row_of[slice] : 0]; k < end; ++k) {
      ++count[by_user.columns[k]];
    }
  });
  std::vector<std::uint32_t> summed;
  if (count_slices > 1) {
    summed.assign(item_rows, 0);
    for (std::size_t t = 0; t < count_slices; ++t) {
      for (std::uint32_t i = 0; i < item_rows; ++i) summed[i] += slice_items[t * item_rows + i];
    }
  }
  const std::span<const std::uint32_t> per_item = count_slices > 1
                                                      ? std::span<const std::uint32_t>(summed)
                                                      : std::span<const std::uint32_t>(slice_items);
  std::vector<std::size_t> per_owner(parts);
  for (std::size_t p = 0; p < parts; ++p) per_owner[p] = owners.rows(static_cast<int>(p));
  const auto from_source = comm.alltoallv<std::uint32_t>(per_item, per_owner);  // [source][row]
  std::uint64_t own = 0;  // entries of this rank's own item rows
  for (std::uint32_t r = 0; r < my_rows; ++r) own += per_item[my_first + r];
  const std::uint64_t remote_out = n - own;
  summed = {};
  SparseBlock block;
  block.first_row = my_first;
  block.offsets.assign(static_cast<std::size_t>(my_rows) + 1, 0);
  std::vector<std::uint64_t> remote_in(my_rows, 0);  // ratings each row gets from other ranks
  for (std::uint32_t r = 0; r < my_rows; ++r) {
    std::uint64_t row = 0;
    for (std::size_t s = 0; s < parts; ++s) {
      const std::uint64_t c = from_source[s * my_rows + r];
      row += c;
      if (s != me) remote_in[r] += c;
    }
    // The users' side merged duplicates, so a row holds at most its count.
    DMF_CHECK(row <= item_counts[r], "internal: item row {} gets {} ratings, more than its {}",
              my_first + r, row, item_counts[r]);
    block.offsets[r + 1] = block.offsets[r] + row;
  }
  const std::uint64_t total = block.offsets.back();
  detail::size_on_huge_pages(block.columns, total);
  detail::size_on_huge_pages(block.values, total);
  if (with_times) detail::size_on_huge_pages(block.times, total);
  if (with_lines) detail::size_on_huge_pages(block.lines, total);
  std::vector<std::uint64_t> cursor(parts * my_rows);  // [source][row]: next free position
  for (std::uint32_t r = 0; r < my_rows; ++r) {
    std::uint64_t at = block.offsets[r];
    for (std::size_t s = 0; s < parts; ++s) {
      cursor[s * my_rows + r] = at;
      at += from_source[s * my_rows + r];
    }
  }
  const auto place = [&](std::size_t source, std::uint32_t item, std::uint32_t user, float value,
                         const std::int64_t* time, const std::uint64_t* line) {
    const std::uint64_t at = cursor[source * my_rows + (item - my_first)]++;
    block.columns[at] = user;
    block.values[at] = value;
    if (time != nullptr) block.times[at] = *time;
    if (line != nullptr) block.lines[at] = *line;
  };

  // This rank's own entries, in user order: no record, no exchange. Thread
  // t places the items of the t-th slice of them (each scans the whole
  // block's columns, a cheap sequential read, and writes only its rows).
  const auto own_slices = static_cast<std::size_t>(std::max(1, options.threads));
  std::vector<std::uint32_t> own_first(own_slices + 1, my_first + my_rows);
  {
    std::uint64_t prefix = 0;
    std::size_t t = 0;
    for (std::uint32_t r = 0; r < my_rows; ++r) {
      while (t < own_slices && prefix * own_slices >= t * own) own_first[t++] = my_first + r;
      prefix += from_source[me * my_rows + r];
    }
    while (t < own_slices) own_first[t++] = my_first + my_rows;
  }
  parallel_for(options.threads, static_cast<std::int64_t>(own_slices), [&](std::int64_t t) {
    const std::uint32_t lo = own_first[static_cast<std::size_t>(t)];
    const std::uint32_t width = own_first[static_cast<std::size_t>(t) + 1] - lo;
    for (std::uint32_t row = 0; row < by_user.rows(); ++row) {
      const std::uint32_t user = by_user.first_row + row;
      for (std::uint64_t k = by_user.offsets[row]; k < by_user.offsets[row + 1]; ++k) {
        const std::uint32_t item = by_user.columns[k];
        if (item - lo >= width) continue;
        place(me, item, user, by_user.values[k], with_times ? &by_user.times[k] : nullptr,
              with_lines ? &by_user.lines[k] : nullptr);
      }
    }
  });

  // The others' in rounds, sized by what crosses ranks only.
  const Rounds rounds(comm, items, remote_in, remote_out, options.round_ratings);
  // Buckets of all item rows at once when that table is no larger than the
  // block (the usual case), else a search per entry.
  std::vector<std::uint32_t> bucket_of_item;
  if (owners.total_rows() <= n) {
    bucket_of_item.resize(owners.total_rows());
    for (std::uint32_t i = 0; i < owners.total_rows(); ++i) bucket_of_item[i] = rounds.bucket(i);
  }
  const auto bucket = [&](std::uint32_t item) {
    return bucket_of_item.empty() ? rounds.bucket(item) : bucket_of_item[item];
  };
  // The entries are in item order along each user row, so a round's
  // entries lie all over the block: gathered round by round through an
  // order, each cost a cache miss. Instead a few passes over the block
  // (kTransposePasses) each write the records of a run of rounds in bucket
  // order, and each round sends its slice. Thread t takes the rows holding
  // the t-th slice of the entries.
  buffers.order = {};  // the user side's; the transpose keeps one only for times and lines
  const bool keep_order = with_times || with_lines;
  struct Placed {
    std::uint64_t k;
    std::uint32_t user;
  };
  const auto scan = [&](std::size_t t, auto&& visit) {
    if (remote_out == 0) return;  // one rank, or all local
    for (std::uint32_t row = first_row_of[t]; row < first_row_of[t + 1]; ++row) {
      const std::uint32_t user = by_user.first_row + row;
      for (std::uint64_t k = by_user.offsets[row]; k < by_user.offsets[row + 1]; ++k) {
        const std::uint32_t item = by_user.columns[k];
        if (!mine(item)) visit(bucket(item), Placed{k, user});
      }
    }
  };
  const auto counted = [&] {
    std::vector<std::uint64_t> counts(slices * rounds.buckets(), 0);
    for (std::size_t t = 0; t < slices; ++t) {
      const std::uint32_t* count = slice_items.data() + t * item_rows;
      for (std::uint32_t i = 0; i < item_rows; ++i) {
        if (count[i] != 0 && !mine(i)) counts[t * rounds.buckets() + bucket(i)] += count[i];
      }
    }
    return counts;
  };
  BucketSort sort = per_slice ? BucketSort(options.threads, slices, rounds.buckets(), counted())
                              : BucketSort(options.threads, slices, rounds.buckets(), scan);
  slice_items = {};
  RoundExchange exchange(comm, rounds, sort.start());
  // What arrives: each source's records of a row in its user order, placed
  // after the earlier sources' (received_from: the records of each).
  const auto receive = [&](std::span<const BlockEntry> entries, std::span<const std::int64_t> times,
                           std::span<const std::uint64_t> lines) {
    std::uint64_t j = 0;
    for (std::size_t s = 0; s < parts; ++s) {
      const std::uint64_t end = j + exchange.received_from()[s];
      for (; j < end; ++j) {
        const BlockEntry& e = entries[j];
        DMF_CHECK(mine(e.row) && cursor[s * my_rows + (e.row - my_first)] <
                                     block.offsets[e.row - my_first + 1],
                  "internal: rating for item row {} from rank {} beyond its count", e.row, s);
        place(s, e.row, e.column, e.value, times.empty() ? nullptr : &times[j],
              lines.empty() ? nullptr : &lines[j]);
      }
    }
  };
  // Passes of consecutive rounds holding about a kTransposePasses-th of the
  // block's entries each (at least a round): each pass writes its rounds'
  // records from one scan of the block. A quarter of the block, not of the
  // crossing entries: the same bound on the records in memory, and fewer
  // scans where few entries cross (two at 2 ranks, where half do).
  const std::uint64_t pass_entries = std::max<std::uint64_t>(1, n / kTransposePasses);
  for (std::uint64_t first = 0; first < rounds.count();) {
    std::uint64_t last = first + 1;
    while (last < rounds.count() && exchange.end(last) - exchange.begin(first) <= pass_entries) {
      ++last;
    }
    const std::uint64_t base = exchange.begin(first);
    buffers.send.resize(exchange.end(last - 1) - base);
    if (keep_order) buffers.order.resize(buffers.send.size());
    sort.place(
        scan,
        [&](const Placed& p, std::uint64_t at) {
          buffers.send[at - base] = BlockEntry{by_user.columns[p.k], p.user, by_user.values[p.k]};
          if (keep_order) buffers.order[at - base] = static_cast<std::uint32_t>(p.k);
        },
        first * parts, last * parts);
    for (std::uint64_t round = first; round < last; ++round) {
      const std::uint64_t begin = exchange.begin(round);
      exchange.run(
          round,
          std::span<const BlockEntry>(buffers.send)
              .subspan(begin - base, exchange.end(round) - begin),
          [&](std::uint64_t j) { return by_user.times[buffers.order[j - base]]; },
          [&](std::uint64_t j) { return by_user.lines[buffers.order[j - base]]; }, with_times,
          with_lines, receive, buffers);
      report_round(options, round, rounds);
    }
    first = last;
  }
  buffers = RouteBuffers{};
  // Every source's run of every row filled, no more, no less.
  for (std::uint32_t r = 0; r < my_rows; ++r) {
    std::uint64_t end = block.offsets[r];
    for (std::size_t s = 0; s < parts; ++s) {
      end += from_source[s * my_rows + r];
      DMF_CHECK(cursor[s * my_rows + r] == end,
                "internal: item row {} did not receive the {} ratings rank {} sent it",
                my_first + r, from_source[s * my_rows + r], s);
    }
  }
  return block;
}

void raise_duplicates(const dist::Comm& comm, const IdDirectory& users_dir,
                      const IdDirectory& items_dir, const std::string& path,
                      const io::LineNames& names, const BlockBuildResult& built,
                      std::uint64_t pairs) {
  auto examples = comm.allgatherv<DuplicateExample>(built.examples);
  std::ranges::sort(examples, {}, &DuplicateExample::first_line);
  if (examples.size() > kShownDuplicates) examples.resize(kShownDuplicates);
  std::vector<std::uint32_t> user_rows;
  std::vector<std::uint32_t> item_rows;
  for (const auto& e : examples) {
    user_rows.push_back(e.row);
    item_rows.push_back(e.column);
  }
  const auto users = users_dir.tokens_of(comm, user_rows);
  const auto items = items_dir.tokens_of(comm, item_rows);
  // A file's lines by number; a directory's as part:line, the part's own.
  const auto line = [&](std::uint64_t number) {
    return names.names_parts() ? names(path, number) : std::to_string(number);
  };
  std::string shown;
  for (std::size_t k = 0; k < examples.size(); ++k) {
    shown += fmt::format("{}user {}, item {} on lines {} and {}", k == 0 ? "" : "; ", users[k],
                         items[k], line(examples[k].first_line), line(examples[k].second_line));
  }
  throw Error(fmt::format("{}: {} (user, item) pair{} rated more than once: {}{}. Pass "
                          "--duplicates first|last|mean|sum to merge them",
                          path, pairs, pairs == 1 ? " is" : "s are", shown,
                          pairs > examples.size() ? "; ..." : ""),
              /*collective=*/true);
}

}  // namespace dmf::data
