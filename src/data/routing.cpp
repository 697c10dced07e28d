#include "routing.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include "dmf/core/huge_pages.hpp"
#include "dmf/core/parallel.hpp"
#include "route_rounds.hpp"

namespace dmf::data {
namespace {

using detail::BucketSort;
using detail::RoundExchange;
using detail::Rounds;

/// A rank's own records are handed to the assembler this many at a time
/// (at most a round's): 768 KiB of records, read back from the core's L2
/// cache. Chunks of a round's 512Ki records took the user side's own
/// records 33 ms a rank of a 10M-rating load at 2 x 1, against 28.
constexpr std::uint64_t kOwnChunkRatings = std::uint64_t{1} << 16U;

/// Pairs of a duplicate message shown at most.
constexpr std::size_t kShownDuplicates = 3;

/// Tells options.on_round that `round` of `rounds` is done.
void report_round(const RouteOptions& options, std::uint64_t round, const Rounds& rounds) {
  if (options.on_round) {
    options.on_round(static_cast<double>(round + 1) / static_cast<double>(rounds.count()));
  }
}

/// Calls write(item, user, k) for every entry k of `by_user` (user: its
/// global row) whose item row is in [first_item[t], first_item[t + 1]), on
/// thread t: each thread scans the whole block, a sequential read, and
/// writes only its item rows' entries.
template <class Write>
void for_each_by_item(const SparseBlock& by_user, std::span<const std::uint32_t> first_item,
                      int threads, Write write) {
  parallel_for(threads, static_cast<std::int64_t>(first_item.size() - 1), [&](std::int64_t t) {
    // Copies of their own: the writes go through pointers, which the
    // compiler would otherwise assume may change anything it reads through.
    const std::uint64_t* offsets = by_user.offsets.data();
    const std::uint32_t* columns = by_user.columns.data();
    const std::uint32_t rows = by_user.rows();
    const std::uint32_t first_user = by_user.first_row;
    Write writer = write;
    const std::uint32_t lo = first_item[static_cast<std::size_t>(t)];
    const std::uint32_t width = first_item[static_cast<std::size_t>(t) + 1] - lo;
    for (std::uint32_t row = 0; row < rows; ++row) {
      const std::uint32_t user = first_user + row;
      const std::uint64_t end = offsets[row + 1];
      for (std::uint64_t k = offsets[row]; k < end; ++k) {
        const std::uint32_t item = columns[k];
        if (item - lo < width) writer(item, user, k);
      }
    }
  });
}

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

  // Ratings this rank keeps (of the rows it owns): they never leave it, so
  // the rounds are sized by the others, which cross ranks.
  const auto& token_counts = by_user ? local.user_counts : local.item_counts;
  DMF_CHECK(token_counts.size() == row_rows.size(),
            "internal: {} rating counts for {} local tokens", token_counts.size(), row_rows.size());
  std::uint64_t kept = 0;
  for (std::size_t t = 0; t < row_rows.size(); ++t) {
    if (row_rows[t] - directory.first_row() < directory.local_rows()) kept += token_counts[t];
  }
  const Rounds rounds(comm, directory, owned_counts, local.size(), options.round_ratings, kept);
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
  // With other ranks, on 2 MiB pages with room for two words a rating (not
  // touched here): transpose_block's send arrays reuse these pages. Alone,
  // nothing is sent, and ordinary pages come without the wait for the host
  // that fresh 2 MiB pages may cost (docs/design.md §3).
  buffers.order.clear();
  if (comm.size() > 1) {
    size_on_huge_pages(buffers.order, n, 2 * n);
  } else {
    buffers.order.resize(n);
  }
  sort.place(
      scan,
      [&](std::size_t k, std::uint64_t at) { buffers.order[at] = static_cast<std::uint32_t>(k); },
      0, rounds.buckets());

  BlockAssembler assembler(directory.first_row(), owned_counts, with_times, with_lines);
  RoundExchange exchange(comm, rounds, sort.start());
  const auto gather = [&](std::span<BlockEntry> out, auto position_of) {
    parallel_for(options.threads, static_cast<std::int64_t>(out.size()), [&](std::int64_t j) {
      const std::uint32_t k = buffers.order[position_of(static_cast<std::uint64_t>(j))];
      out[static_cast<std::size_t>(j)] =
          BlockEntry{row_rows[row_of_rating[k]], column_rows[column_of_rating[k]], local.values[k]};
    });
  };
  const auto add = [&](std::span<const BlockEntry> entries, std::span<const std::int64_t> times,
                       std::span<const std::uint64_t> lines) {
    assembler.add(entries, times, lines);
  };
  std::vector<std::int64_t> own_times;
  std::vector<std::uint64_t> own_lines;
  const std::uint64_t chunk =
      std::min(kOwnChunkRatings, std::max<std::uint64_t>(1, options.round_ratings));
  for (std::uint64_t round = 0; round < rounds.count(); ++round) {
    // The records for other ranks; this rank's own go to the assembler
    // between the lower and the higher ranks', in cache-sized chunks
    // gathered straight from the ratings (no message, no sync).
    buffers.send.resize(exchange.end(round) - exchange.begin(round) - exchange.own(round));
    gather(buffers.send, [&](std::uint64_t j) { return exchange.position(round, j); });
    const auto own = [&] {
      const std::uint64_t first = exchange.own_begin(round);
      const std::uint64_t last = first + exchange.own(round);
      for (std::uint64_t from = first; from < last; from += chunk) {
        const std::uint64_t to = std::min(last, from + chunk);
        buffers.send.resize(to - from);
        gather(buffers.send, [from](std::uint64_t j) { return from + j; });
        own_times.resize(with_times ? to - from : 0);
        own_lines.resize(with_lines ? to - from : 0);
        for (std::uint64_t j = 0; j < own_times.size(); ++j) {
          own_times[j] = local.times[buffers.order[from + j]];
        }
        for (std::uint64_t j = 0; j < own_lines.size(); ++j) {
          own_lines[j] = local.lines[buffers.order[from + j]];
        }
        add(buffers.send, own_times, own_lines);
        if (options.on_round && to < last) {  // the round's end is reported below
          options.on_round((static_cast<double>(round) +
                            static_cast<double>(to - first) / static_cast<double>(last - first)) /
                           static_cast<double>(rounds.count()));
        }
      }
    };
    exchange.run(
        round, buffers.send, [&](std::uint64_t j) { return local.times[buffers.order[j]]; },
        [&](std::uint64_t j) { return local.lines[buffers.order[j]]; }, with_times, with_lines, add,
        own, buffers);
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
  // ...), and each entry goes straight to its place (docs/design.md §3).
  // Counts of 4 bytes: a rank holds fewer than 2^32 entries. Each thread
  // counts the user rows holding its slice of the entries, into a table of
  // its own while those tables are no larger than a quarter of the block's
  // entries (the usual case), else one thread counts.
  const auto slices = static_cast<std::size_t>(std::max(1, options.threads));
  const std::uint32_t item_rows = owners.total_rows();
  const bool per_slice = std::uint64_t{slices} * item_rows <= n / 4;
  const std::size_t count_slices = per_slice ? slices : 1;
  std::vector<std::uint32_t> first_row_of(count_slices + 1, by_user.rows());
  for (std::size_t t = 0; t < count_slices; ++t) {
    const std::uint64_t first_entry =
        n / count_slices * t + std::min<std::uint64_t>(t, n % count_slices);
    first_row_of[t] = static_cast<std::uint32_t>(
        std::lower_bound(by_user.offsets.begin(), by_user.offsets.end() - 1, first_entry) -
        by_user.offsets.begin());
  }
  std::vector<std::uint32_t> per_item(count_slices * item_rows, 0);  // [slice][item row]
  parallel_for(options.threads, static_cast<std::int64_t>(count_slices), [&](std::int64_t t) {
    const auto slice = static_cast<std::size_t>(t);
    std::uint32_t* count = per_item.data() + slice * item_rows;
    const std::uint64_t end = by_user.offsets[first_row_of[slice + 1]];
    for (std::uint64_t k = by_user.offsets[first_row_of[slice]]; k < end; ++k) {
      ++count[by_user.columns[k]];
    }
  });
  for (std::size_t t = 1; t < count_slices; ++t) {
    for (std::uint32_t i = 0; i < item_rows; ++i) per_item[i] += per_item[t * item_rows + i];
  }
  per_item.resize(item_rows);
  std::vector<std::size_t> per_owner(parts);
  for (std::size_t p = 0; p < parts; ++p) per_owner[p] = owners.rows(static_cast<int>(p));
  const auto from_source = comm.alltoallv<std::uint32_t>(per_item, per_owner);  // [source][row]
  std::uint64_t own = 0;  // entries of this rank's own item rows
  for (std::uint32_t r = 0; r < my_rows; ++r) own += per_item[my_first + r];
  const std::uint64_t remote_out = n - own;
  SparseBlock block;
  block.first_row = my_first;
  block.offsets.assign(static_cast<std::size_t>(my_rows) + 1, 0);
  std::vector<std::uint64_t> remote_in(my_rows, 0);       // ratings each row gets from other ranks
  std::vector<std::uint64_t> run_start(parts * my_rows);  // [source][row]: where its run starts
  for (std::uint32_t r = 0; r < my_rows; ++r) {
    std::uint64_t at = block.offsets[r];
    for (std::size_t s = 0; s < parts; ++s) {
      const std::uint64_t c = from_source[s * my_rows + r];
      run_start[s * my_rows + r] = at;
      at += c;
      if (s != me) remote_in[r] += c;
    }
    // The users' side merged duplicates, so a row holds at most its count.
    DMF_CHECK(at - block.offsets[r] <= item_counts[r],
              "internal: item row {} gets {} ratings, more than its {}", my_first + r,
              at - block.offsets[r], item_counts[r]);
    block.offsets[r + 1] = at;
  }
  const std::uint64_t total = block.offsets.back();
  size_on_huge_pages(block.columns, total);
  size_on_huge_pages(block.values, total);
  if (with_times) size_on_huge_pages(block.times, total);
  if (with_lines) size_on_huge_pages(block.lines, total);

  // Where each of this rank's entries goes (next: the next position of each
  // item row's): its own rows' into the block, at its run; the others' into
  // send arrays in bucket order (round, owner), each bucket by item row and
  // each row's in user order, so a round's message to an owner is its rows'
  // runs from this rank in row order, which it copies into place whole. The
  // records carry only the user and the value (and time, line): the owner
  // knows the rows from the counts. Rounds are sized by what crosses ranks.
  const Rounds rounds(comm, items, remote_in, remote_out, options.round_ratings);
  std::vector<std::uint64_t> start(rounds.buckets() + 1, 0);
  std::vector<std::uint64_t> next(item_rows);
  for (std::uint32_t i = 0; i < item_rows; ++i) {
    if (mine(i) || per_item[i] == 0) continue;
    next[i] = rounds.bucket(i);
    start[next[i] + 1] += per_item[i];
  }
  for (std::size_t b = 0; b < rounds.buckets(); ++b) start[b + 1] += start[b];
  {
    std::vector<std::uint64_t> fill(start.begin(), start.end() - 1);
    for (std::uint32_t i = 0; i < item_rows; ++i) {
      if (mine(i)) {
        next[i] = run_start[me * my_rows + (i - my_first)];
      } else if (per_item[i] != 0) {
        next[i] = std::exchange(fill[next[i]], fill[next[i]] + per_item[i]);
      }
    }
  }
  // Thread t writes the entries of the t-th slice of the item rows (by
  // entries), each scanning the whole block: no two write one row's run.
  std::vector<std::uint32_t> first_item(slices + 1, item_rows);
  {
    std::uint64_t prefix = 0;
    std::size_t t = 0;
    for (std::uint32_t i = 0; i < item_rows; ++i) {
      while (t < slices && prefix * slices >= t * n) first_item[t++] = i;
      prefix += per_item[i];
    }
  }
  per_item = {};
  // The send arrays, written a row's run at a time all over them as the
  // block is, on 2 MiB pages as the block (with 4 KiB pages the others'
  // half of the entries cost a TLB miss a write): the users, then the
  // values' bits, in the words the users' side sorted its ratings in, whose
  // pages are mapped already (fresh pages took 4 ms of a 10M-rating load at
  // 2 x 1, and far longer when the host was slow to back them).
  // (A rank sending nothing frees them: nothing would use them.)
  UninitVector<std::uint32_t> send_words = std::move(buffers.order);
  buffers = RouteBuffers{};
  send_words.clear();
  if (remote_out == 0 || send_words.capacity() < 2 * remote_out) send_words = {};
  size_on_huge_pages(send_words, 2 * remote_out);
  std::uint32_t* const send_users = send_words.data();
  std::uint32_t* const send_values = send_words.data() + remote_out;  // the floats' bits
  UninitVector<std::int64_t> send_times;
  std::vector<std::uint64_t> send_lines;
  if (with_times) size_on_huge_pages(send_times, remote_out);
  if (with_lines) size_on_huge_pages(send_lines, remote_out);
  // Each entry goes to its row's next position (at), in the block for the
  // rank's own rows, in the send arrays for the others'. The writers copy
  // what they use: captured by reference, it would be read again after
  // every write.
  {
    std::vector<std::uint64_t> at = next;
    for_each_by_item(
        by_user, first_item, options.threads,
        [at = at.data(), own_users = block.columns.data(), own_values = block.values.data(),
         out_users = send_users, out_values = send_values, first = my_first, rows = my_rows,
         from = by_user.values.data()](std::uint32_t item, std::uint32_t user, std::uint64_t k) {
          const std::uint64_t to = at[item]++;
          const bool here = item - first < rows;
          (here ? own_users : out_users)[to] = user;
          // A float into the block or its bits into a word: no branch.
          std::memcpy(here ? static_cast<void*>(own_values + to)
                           : static_cast<void*>(out_values + to),
                      from + k, sizeof(float));
        });
    for (std::uint32_t r = 0; r < my_rows; ++r) {
      const std::uint64_t placed = at[my_first + r] - run_start[me * my_rows + r];
      DMF_CHECK(placed == from_source[me * my_rows + r],
                "internal: item row {} placed {} of this rank's {} ratings", my_first + r, placed,
                from_source[me * my_rows + r]);
    }
  }
  // Times and lines, when kept, the same way, a pass each.
  const auto scatter = [&](auto* own_array, auto* out_array, const auto* source) {
    std::vector<std::uint64_t> at = next;
    for_each_by_item(by_user, first_item, options.threads,
                     [at = at.data(), own_array, out_array, first = my_first, rows = my_rows,
                      source](std::uint32_t item, std::uint32_t /*user*/, std::uint64_t k) {
                       (item - first < rows ? own_array : out_array)[at[item]++] = source[k];
                     });
  };
  if (with_times) scatter(block.times.data(), send_times.data(), by_user.times.data());
  if (with_lines) scatter(block.lines.data(), send_lines.data(), by_user.lines.data());
  next = {};

  // The others' entries, a round at a time: each source's runs of the
  // round's rows, in row order, copied to their places.
  RoundExchange exchange(comm, rounds, start);
  UninitVector<std::uint32_t> received_users;
  UninitVector<std::uint32_t> received_values;  // the floats' bits
  UninitVector<std::int64_t> received_times;
  std::vector<std::uint64_t> received_lines;
  received_users.reserve(exchange.most_received());
  received_values.reserve(exchange.most_received());
  if (with_times) received_times.reserve(exchange.most_received());
  if (with_lines) received_lines.reserve(exchange.most_received());
  // A round's slice of a send array, read-only.
  const auto round_of = [](const auto* array, std::uint64_t begin, std::uint64_t end) {
    return std::span(array + begin, end - begin);
  };
  for (std::uint64_t round = 0; round < rounds.count(); ++round) {
    const std::uint64_t begin = exchange.begin(round);
    const std::uint64_t end = exchange.end(round);
    exchange.move(round, round_of(send_users, begin, end), received_users);
    exchange.move(round, round_of(send_values, begin, end), received_values);
    if (with_times) {
      exchange.move(round, round_of(send_times.data(), begin, end), received_times);
    }
    if (with_lines) {
      exchange.move(round, round_of(send_lines.data(), begin, end), received_lines);
    }
    const std::uint32_t first = rounds.first_row(me, round) - my_first;
    const std::uint32_t last = rounds.first_row(me, round + 1) - my_first;
    std::uint64_t j = 0;
    for (std::size_t s = 0; s < parts; ++s) {
      const std::uint64_t from_s = j + exchange.received_from()[s];
      for (std::uint32_t r = first; r < last && s != me; ++r) {
        const std::uint64_t c = from_source[s * my_rows + r];
        if (c == 0) continue;
        DMF_CHECK(j + c <= from_s, "internal: rank {} sent item row {} fewer than its {} ratings",
                  s, my_first + r, c);
        const std::uint64_t to = run_start[s * my_rows + r];
        std::copy_n(received_users.data() + j, c, block.columns.data() + to);
        std::memcpy(block.values.data() + to, received_values.data() + j, c * sizeof(float));
        if (with_times) std::copy_n(received_times.data() + j, c, block.times.data() + to);
        if (with_lines) std::copy_n(received_lines.data() + j, c, block.lines.data() + to);
        j += c;
      }
      DMF_CHECK(j == from_s, "internal: rank {} sent {} ratings for item rows [{}, {}), not {}", s,
                exchange.received_from()[s], my_first + first, my_first + last,
                exchange.received_from()[s] - (from_s - j));
    }
    report_round(options, round, rounds);
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
