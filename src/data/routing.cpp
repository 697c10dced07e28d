#include "routing.hpp"

#include <algorithm>
#include <utility>

#include "dmf/core/parallel.hpp"

namespace dmf::data {
namespace {

/// Pairs of a duplicate message shown at most.
constexpr std::size_t kShownDuplicates = 3;

/// Where this rank's rows begin in each of `rounds` rounds: `rounds` + 1
/// global rows cutting [first_row, first_row + counts.size()) into ranges
/// of about equal rating counts.
std::vector<std::uint32_t> round_bounds(std::uint32_t first_row,
                                        std::span<const std::uint64_t> counts,
                                        std::uint64_t rounds) {
  std::uint64_t total = 0;
  for (const auto c : counts) total += c;
  std::vector<std::uint32_t> bounds(rounds + 1,
                                    first_row + static_cast<std::uint32_t>(counts.size()));
  bounds[0] = first_row;
  std::uint64_t prefix = 0;
  std::uint64_t round = 1;
  for (std::size_t r = 0; r < counts.size() && round < rounds; ++r) {
    // Row r starts round `round` once the rows before it hold its share.
    while (round < rounds && prefix * rounds >= round * total) {
      bounds[round++] = first_row + static_cast<std::uint32_t>(r);
    }
    prefix += counts[r];
  }
  return bounds;
}

template <class T>
std::span<std::byte> writable_bytes(std::vector<T>& v) {
  return std::as_writable_bytes(std::span<T>(v));
}
template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

/// The rounds of one routing: how many, and where each owner's rows are cut.
class Rounds {
 public:
  /// Collective. Enough rounds that no rank sends (`sending`) or receives
  /// (its `owned_counts`) much more than `per_round` ratings in one.
  Rounds(const dist::Comm& comm, const IdDirectory& directory,
         std::span<const std::uint64_t> owned_counts, std::uint64_t sending,
         std::uint64_t per_round)
      : ownership_(directory.ownership()), parts_(static_cast<std::size_t>(comm.size())) {
    std::uint64_t owned = 0;
    for (const auto c : owned_counts) owned += c;
    const std::uint64_t most =
        comm.allreduce<std::uint64_t>(std::max(sending, owned), dist::Op::kMax);
    per_round = std::max<std::uint64_t>(1, per_round);
    rounds_ = std::max<std::uint64_t>(1, (most + per_round - 1) / per_round);
    const auto mine = round_bounds(directory.first_row(), owned_counts, rounds_);
    bounds_ = comm.allgatherv<std::uint32_t>(mine);  // (rounds + 1) per rank
  }

  [[nodiscard]] std::uint64_t count() const noexcept { return rounds_; }
  [[nodiscard]] std::size_t buckets() const noexcept { return rounds_ * parts_; }

  /// The bucket (round * parts + owner) of a global row.
  [[nodiscard]] std::uint32_t bucket(std::uint32_t row) const {
    const auto owner = static_cast<std::size_t>(ownership_.owner(row));
    const auto first = bounds_.begin() + static_cast<std::ptrdiff_t>(owner * (rounds_ + 1));
    const auto round = static_cast<std::uint64_t>(
        std::upper_bound(first + 1, first + static_cast<std::ptrdiff_t>(rounds_), row) -
        (first + 1));
    return static_cast<std::uint32_t>(round * parts_ + owner);
  }

 private:
  const Ownership& ownership_;
  std::size_t parts_;
  std::uint64_t rounds_ = 1;
  std::vector<std::uint32_t> bounds_;
};

/// A stable counting sort by bucket on `slices` threads: scan(t, visit)
/// calls visit(bucket, item) for the items of slice t, slices in input
/// order; place(item, position) then puts each item at its place, after
/// every earlier item of its bucket. Returns where each bucket starts
/// (buckets + 1 entries).
template <class Scan, class Place>
std::vector<std::uint64_t> counting_sort(int threads, std::size_t slices, std::size_t buckets,
                                         Scan scan, Place place) {
  std::vector<std::uint64_t> cursor(slices * buckets, 0);  // [slice][bucket]
  parallel_for(threads, static_cast<std::int64_t>(slices), [&](std::int64_t t) {
    std::uint64_t* count = cursor.data() + static_cast<std::size_t>(t) * buckets;
    scan(static_cast<std::size_t>(t), [count](std::size_t b, const auto& /*item*/) { ++count[b]; });
  });
  std::vector<std::uint64_t> start(buckets + 1, 0);
  for (std::size_t b = 0; b < buckets; ++b) {
    std::uint64_t at = start[b];
    for (std::size_t t = 0; t < slices; ++t) at += std::exchange(cursor[t * buckets + b], at);
    start[b + 1] = at;
  }
  parallel_for(threads, static_cast<std::int64_t>(slices), [&](std::int64_t t) {
    std::uint64_t* next = cursor.data() + static_cast<std::size_t>(t) * buckets;
    scan(static_cast<std::size_t>(t),
         [&place, next](std::size_t b, const auto& item) { place(item, next[b]++); });
  });
  return start;
}

/// The exchange of one routing, given this rank's ratings sorted by bucket
/// (`start`: where each bucket begins). Round r sends [start of bucket
/// (r, 0), start of bucket (r + 1, 0)): round_entries(begin, end) gives
/// their records, time_at(j) and line_at(j) the time and line of the j-th
/// (called only when the block keeps them).
template <class RoundEntries, class TimeAt, class LineAt>
void exchange_rounds(const dist::Comm& comm, const Rounds& rounds,
                     const std::vector<std::uint64_t>& start, RoundEntries round_entries,
                     TimeAt time_at, LineAt line_at, bool with_times, bool with_lines,
                     BlockAssembler& assembler, RouteBuffers& buffers) {
  const auto parts = static_cast<std::size_t>(comm.size());
  // Every owner learns what each source sends it per round.
  const std::uint64_t count = rounds.count();
  std::vector<std::uint64_t> counts_to(rounds.buckets());
  for (std::size_t p = 0; p < parts; ++p) {
    for (std::uint64_t r = 0; r < count; ++r) {
      counts_to[p * count + r] = start[r * parts + p + 1] - start[r * parts + p];
    }
  }
  const std::vector<std::size_t> per_destination(parts, count);
  const auto counts_from = comm.alltoallv<std::uint64_t>(counts_to, per_destination);

  std::vector<std::uint64_t> sc(parts);
  std::vector<std::uint64_t> rc(parts);
  for (std::uint64_t round = 0; round < count; ++round) {
    const std::uint64_t begin = start[round * parts];
    const std::uint64_t end = start[(round + 1) * parts];
    std::uint64_t incoming = 0;
    for (std::size_t p = 0; p < parts; ++p) {
      sc[p] = start[round * parts + p + 1] - start[round * parts + p];
      rc[p] = counts_from[p * count + round];
      incoming += rc[p];
    }
    const std::span<const BlockEntry> send = round_entries(begin, end);
    std::span<const BlockEntry> received = send;  // one rank: what it sends is what it gets
    if (parts > 1) {
      buffers.received.resize(incoming);
      comm.alltoallv_bytes(std::as_bytes(send), sc, rc, sizeof(BlockEntry),
                           writable_bytes(buffers.received));
      received = buffers.received;
    }
    if (with_times) {
      buffers.send_times.resize(end - begin);
      for (std::uint64_t j = begin; j < end; ++j) buffers.send_times[j - begin] = time_at(j);
      buffers.received_times.resize(incoming);
      comm.alltoallv_bytes(bytes_of(buffers.send_times), sc, rc, sizeof(std::int64_t),
                           writable_bytes(buffers.received_times));
    }
    if (with_lines) {
      buffers.send_lines.resize(end - begin);
      for (std::uint64_t j = begin; j < end; ++j) buffers.send_lines[j - begin] = line_at(j);
      buffers.received_lines.resize(incoming);
      comm.alltoallv_bytes(bytes_of(buffers.send_lines), sc, rc, sizeof(std::uint64_t),
                           writable_bytes(buffers.received_lines));
    }
    assembler.add(received,
                  with_times ? std::span<const std::int64_t>(buffers.received_times)
                             : std::span<const std::int64_t>(),
                  with_lines ? std::span<const std::uint64_t>(buffers.received_lines)
                             : std::span<const std::uint64_t>());
  }
}

/// The routing over any source of `n` ratings read through an order:
/// bucket_of(k) is rating k's bucket in `rounds`, entry_of(k) its record;
/// time_of(k) and line_of(k) are called only when the block keeps times or
/// lines. The ratings are sorted by bucket as indices (4 bytes each), each
/// round's records gathered through them: cheap where the source is about
/// in bucket order already (a file sorted by user, the usual case).
template <class BucketOf, class EntryOf, class TimeOf, class LineOf>
void route_rounds(const dist::Comm& comm, const Rounds& rounds, std::size_t n, BucketOf bucket_of,
                  EntryOf entry_of, TimeOf time_of, LineOf line_of, bool with_times,
                  bool with_lines, int threads, BlockAssembler& assembler, RouteBuffers& buffers) {
  DMF_CHECK(n < 0xFFFFFFFFULL, "more than 4 billion ratings on one rank");
  // Thread t sorts the t-th slice of the ratings.
  const auto slices = static_cast<std::size_t>(std::max(1, threads));
  const auto slice = [&](std::size_t t) { return n / slices * t + std::min(t, n % slices); };
  buffers.order.resize(n);
  const auto start = counting_sort(
      threads, slices, rounds.buckets(),
      [&](std::size_t t, auto&& visit) {
        const std::size_t end = slice(t + 1);
        for (std::size_t k = slice(t); k < end; ++k) visit(bucket_of(k), k);
      },
      [&](std::size_t k, std::uint64_t at) { buffers.order[at] = static_cast<std::uint32_t>(k); });
  exchange_rounds(
      comm, rounds, start,
      [&](std::uint64_t begin, std::uint64_t end) {
        buffers.send.resize(end - begin);
        parallel_for(threads, static_cast<std::int64_t>(end - begin), [&](std::int64_t j) {
          buffers.send[static_cast<std::size_t>(j)] =
              entry_of(buffers.order[begin + static_cast<std::uint64_t>(j)]);
        });
        return std::span<const BlockEntry>(buffers.send);
      },
      [&](std::uint64_t j) { return time_of(buffers.order[j]); },
      [&](std::uint64_t j) { return line_of(buffers.order[j]); }, with_times, with_lines, assembler,
      buffers);
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

  const Rounds rounds(comm, directory, owned_counts, local.size(), options.round_ratings);
  std::vector<std::uint32_t> bucket(row_rows.size());  // of each distinct local token
  for (std::size_t t = 0; t < row_rows.size(); ++t) bucket[t] = rounds.bucket(row_rows[t]);

  BlockAssembler assembler(directory.first_row(), owned_counts, with_times, with_lines);
  route_rounds(
      comm, rounds, local.size(), [&](std::size_t k) { return bucket[row_of_rating[k]]; },
      [&](std::size_t k) {
        return BlockEntry{row_rows[row_of_rating[k]], column_rows[column_of_rating[k]],
                          local.values[k]};
      },
      [&](std::size_t k) { return local.times[k]; }, [&](std::size_t k) { return local.lines[k]; },
      with_times, with_lines, options.threads, assembler, buffers);
  return assembler.finish(options.duplicates, options.threads);
}

SparseBlock transpose_block(const dist::Comm& comm, const SparseBlock& by_user,
                            const IdDirectory& items, std::span<const std::uint64_t> item_counts,
                            const RouteOptions& options, RouteBuffers& buffers) {
  const bool with_times = options.times;
  const bool with_lines = options.lines;
  const std::uint64_t n = by_user.nnz();
  DMF_CHECK(n < 0xFFFFFFFFULL, "more than 4 billion ratings on one rank");
  const Rounds rounds(comm, items, item_counts, n, options.round_ratings);
  // Buckets of all item rows at once when that table is no larger than the
  // block (the usual case), else a search per entry.
  std::vector<std::uint32_t> bucket_of_item;
  if (items.total_rows() <= n) {
    bucket_of_item.resize(items.total_rows());
    for (std::uint32_t i = 0; i < items.total_rows(); ++i) bucket_of_item[i] = rounds.bucket(i);
  }
  const auto bucket = [&](std::uint32_t item) {
    return bucket_of_item.empty() ? rounds.bucket(item) : bucket_of_item[item];
  };
  // The entries are in item order along each user row, so an item's
  // bucket is read at random from every round: the records of all rounds
  // are written once, in bucket order (12 bytes an entry, where an order
  // and a user per entry took 8 and every round gathered from the whole
  // block, a cache miss per entry), and each round sends its slice.
  // Thread t takes the rows holding the t-th slice of the entries.
  buffers.order = {};  // the user side's; kept only for times and lines
  buffers.send.resize(n);
  const bool keep_order = with_times || with_lines;
  if (keep_order) buffers.order.resize(n);
  const auto slices = static_cast<std::size_t>(std::max(1, options.threads));
  std::vector<std::uint32_t> first_row_of(slices + 1, by_user.rows());
  for (std::size_t t = 0; t < slices; ++t) {
    const std::uint64_t first_entry = n / slices * t + std::min<std::uint64_t>(t, n % slices);
    first_row_of[t] = static_cast<std::uint32_t>(
        std::lower_bound(by_user.offsets.begin(), by_user.offsets.end() - 1, first_entry) -
        by_user.offsets.begin());
  }
  struct Placed {
    std::uint64_t k;
    std::uint32_t user;
  };
  const auto start = counting_sort(
      options.threads, slices, rounds.buckets(),
      [&](std::size_t t, auto&& visit) {
        for (std::uint32_t row = first_row_of[t]; row < first_row_of[t + 1]; ++row) {
          const std::uint32_t user = by_user.first_row + row;
          for (std::uint64_t k = by_user.offsets[row]; k < by_user.offsets[row + 1]; ++k) {
            visit(bucket(by_user.columns[k]), Placed{k, user});
          }
        }
      },
      [&](const Placed& p, std::uint64_t at) {
        buffers.send[at] = BlockEntry{by_user.columns[p.k], p.user, by_user.values[p.k]};
        if (keep_order) buffers.order[at] = static_cast<std::uint32_t>(p.k);
      });
  // Counts include merged duplicates: rows may come up short (exact = false).
  BlockAssembler assembler(items.first_row(), item_counts, with_times, with_lines,
                           /*exact=*/false);
  exchange_rounds(
      comm, rounds, start,
      [&](std::uint64_t begin, std::uint64_t end) {
        return std::span<const BlockEntry>(buffers.send).subspan(begin, end - begin);
      },
      [&](std::uint64_t j) { return by_user.times[buffers.order[j]]; },
      [&](std::uint64_t j) { return by_user.lines[buffers.order[j]]; }, with_times, with_lines,
      assembler, buffers);
  buffers = RouteBuffers{};
  // Users arrive in ascending order (owners in rank order, each its block in
  // row order) and without duplicates: nothing to sort or merge.
  return assembler.finish(DuplicatePolicy::kFirst, options.threads).block;
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
