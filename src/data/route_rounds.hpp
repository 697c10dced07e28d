// The machinery of routing in bounded rounds (docs/design.md §3), shared by
// the two sides of a load: which round and owner (bucket) a row goes to, a
// stable counting sort of a rank's ratings by bucket on all threads, and the
// exchange of one round.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/data/block_builder.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"
#include "routing.hpp"

namespace dmf::data::detail {

/// Where this rank's rows begin in each of `rounds` rounds: `rounds` + 1
/// global rows cutting [first_row, first_row + counts.size()) into ranges
/// of about equal rating counts.
inline std::vector<std::uint32_t> round_bounds(std::uint32_t first_row,
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

/// The rounds of one routing: how many, and where each owner's rows are cut.
class Rounds {
 public:
  /// Collective. Enough rounds that no rank sends (`sending`) or receives
  /// (its `owned_counts`) much more than `per_round` ratings in one, but for
  /// the `kept` of them that are its own (counted in both): those never
  /// leave it.
  Rounds(const dist::Comm& comm, const IdDirectory& directory,
         std::span<const std::uint64_t> owned_counts, std::uint64_t sending,
         std::uint64_t per_round, std::uint64_t kept = 0);

  [[nodiscard]] std::uint64_t count() const noexcept { return rounds_; }
  [[nodiscard]] std::size_t parts() const noexcept { return parts_; }
  [[nodiscard]] std::size_t buckets() const noexcept { return rounds_ * parts_; }

  /// The first global row of `owner`'s rows in round `round` (`round` =
  /// count(): one past its last row).
  [[nodiscard]] std::uint32_t first_row(std::size_t owner, std::uint64_t round) const {
    return bounds_[owner * (rounds_ + 1) + round];
  }

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

/// A stable counting sort by bucket on `slices` threads. scan(t, visit)
/// calls visit(bucket, item) for the items of slice t in order (slices in
/// input order). The constructor counts; place() then hands each item of a
/// range of buckets its position, after every earlier item of its bucket,
/// so the items can be placed a few buckets at a time.
class BucketSort {
 public:
  template <class Scan>
  BucketSort(int threads, std::size_t slices, std::size_t buckets, Scan scan)
      : threads_(threads), slices_(slices), buckets_(buckets), cursor_(slices * buckets, 0) {
    parallel_for(threads, static_cast<std::int64_t>(slices), [&](std::int64_t t) {
      std::uint64_t* count = cursor_.data() + static_cast<std::size_t>(t) * buckets;
      scan(static_cast<std::size_t>(t),
           [count](std::size_t b, const auto& /*item*/) { ++count[b]; });
    });
    positions();
  }

  /// The sort of items already counted: `counts`[t * buckets + b] items of
  /// slice t fall in bucket b (what the scan would count), so place() is the
  /// only scan.
  BucketSort(int threads, std::size_t slices, std::size_t buckets,
             std::vector<std::uint64_t> counts)
      : threads_(threads), slices_(slices), buckets_(buckets), cursor_(std::move(counts)) {
    DMF_CHECK(cursor_.size() == slices * buckets, "internal: {} bucket counts for {} x {}",
              cursor_.size(), slices, buckets);
    positions();
  }

  /// Where each bucket starts in the sorted order (buckets + 1 entries).
  [[nodiscard]] const std::vector<std::uint64_t>& start() const noexcept { return start_; }

  /// Calls place(item, position) for every item of buckets [first, last),
  /// with the same `scan` as the constructor.
  template <class Scan, class Place>
  void place(Scan scan, Place place, std::size_t first, std::size_t last) {
    parallel_for(threads_, static_cast<std::int64_t>(slices_), [&](std::int64_t t) {
      std::uint64_t* next = cursor_.data() + static_cast<std::size_t>(t) * buckets_;
      scan(static_cast<std::size_t>(t),
           [&place, next, first, last](std::size_t b, const auto& item) {
             if (b >= first && b < last) place(item, next[b]++);
           });
    });
  }

 private:
  int threads_;
  std::size_t slices_;
  std::size_t buckets_;
  /// Turns the counts in cursor_ into each slice's first position in each
  /// bucket, and start_.
  void positions() {
    start_.assign(buckets_ + 1, 0);
    for (std::size_t b = 0; b < buckets_; ++b) {
      std::uint64_t at = start_[b];
      for (std::size_t t = 0; t < slices_; ++t) at += std::exchange(cursor_[t * buckets_ + b], at);
      start_[b + 1] = at;
    }
  }

  std::vector<std::uint64_t> cursor_;  // [slice][bucket]: counts, then next positions
  std::vector<std::uint64_t> start_;
};

/// The exchange of a routing's rounds, given this rank's ratings sorted by
/// bucket (`start`: where each bucket begins); round r sends the positions
/// [begin(r), end(r)).
class RoundExchange {
 public:
  /// Collective: every owner learns what each source sends it per round.
  RoundExchange(const dist::Comm& comm, const Rounds& rounds,
                const std::vector<std::uint64_t>& start);

  [[nodiscard]] std::uint64_t begin(std::uint64_t round) const { return start_[round * parts_]; }
  [[nodiscard]] std::uint64_t end(std::uint64_t round) const {
    return start_[(round + 1) * parts_];
  }

  /// This rank's own bucket of round `round`: where it starts in the sorted
  /// order, and its size.
  [[nodiscard]] std::uint64_t own_begin(std::uint64_t round) const {
    return start_[round * parts_ + me_];
  }
  [[nodiscard]] std::uint64_t own(std::uint64_t round) const {
    return start_[round * parts_ + me_ + 1] - own_begin(round);
  }

  /// Where the i-th record of round `round`'s send array comes from in the
  /// sorted order: the send array holds the round's buckets for the other
  /// ranks, in rank order, without this rank's own (see run).
  [[nodiscard]] std::uint64_t position(std::uint64_t round, std::uint64_t i) const {
    const std::uint64_t before = own_begin(round) - begin(round);
    return i < before ? begin(round) + i : i + own(round) + begin(round);
  }

  /// Collective: round `round`, whose records for the other ranks are
  /// `send` (position(round, i) tells where the i-th comes from); time_at(j)
  /// and line_at(j) give the time and line of sorted position j (called
  /// only when the block keeps them). What arrives goes to receive(entries,
  /// times, lines), in rank order of its sources: the lower ranks', then
  /// own() (the caller's turn to hand over this rank's own records, which
  /// never go through MPI), then the higher ranks'.
  template <class TimeAt, class LineAt, class Receive, class Own>
  void run(std::uint64_t round, std::span<const BlockEntry> send, TimeAt time_at, LineAt line_at,
           bool with_times, bool with_lines, Receive receive, Own own, RouteBuffers& buffers) {
    counts(round);
    DMF_CHECK(send.size() == end(round) - begin(round) - sc_[me_],
              "internal: {} records sent in round {}, not {}", send.size(), round,
              end(round) - begin(round) - sc_[me_]);
    const std::uint64_t count = send.size();
    if (with_times) {
      buffers.send_times.resize(count);
      for (std::uint64_t i = 0; i < count; ++i) buffers.send_times[i] = time_at(position(round, i));
    }
    if (with_lines) {
      buffers.send_lines.resize(count);
      for (std::uint64_t i = 0; i < count; ++i) buffers.send_lines[i] = line_at(position(round, i));
    }
    std::uint64_t lower = 0;  // records from lower ranks
    for (std::size_t p = 0; p < me_; ++p) lower += rc_[p];
    sc_[me_] = 0;
    rc_[me_] = 0;
    std::uint64_t incoming = 0;
    for (const auto c : rc_) incoming += c;
    buffers.received.resize(incoming);
    buffers.received_times.resize(with_times ? incoming : 0);
    buffers.received_lines.resize(with_lines ? incoming : 0);
    if (parts_ > 1) {
      comm_.alltoallv_bytes(std::as_bytes(send), sc_, rc_, sizeof(BlockEntry),
                            std::as_writable_bytes(std::span(buffers.received)));
      if (with_times) {
        comm_.alltoallv_bytes(std::as_bytes(std::span(buffers.send_times)), sc_, rc_,
                              sizeof(std::int64_t),
                              std::as_writable_bytes(std::span(buffers.received_times)));
      }
      if (with_lines) {
        comm_.alltoallv_bytes(std::as_bytes(std::span(buffers.send_lines)), sc_, rc_,
                              sizeof(std::uint64_t),
                              std::as_writable_bytes(std::span(buffers.received_lines)));
      }
    }
    const std::span<const BlockEntry> received(buffers.received);
    const std::span<const std::int64_t> times(buffers.received_times);
    const std::span<const std::uint64_t> lines(buffers.received_lines);
    if (lower > 0) {
      receive(received.first(lower), times.first(with_times ? lower : 0),
              lines.first(with_lines ? lower : 0));
    }
    own();
    if (incoming > lower) {
      receive(received.subspan(lower), times.subspan(with_times ? lower : 0),
              lines.subspan(with_lines ? lower : 0));
    }
  }

  /// Collective: moves round `round`'s slice of one array sorted by bucket
  /// (`send`: its positions [begin(round), end(round))) to the owners;
  /// `received` becomes what arrives, sources in rank order
  /// (received_from() tells how many from each).
  template <dist::Bytewise T, class Allocator>
  void move(std::uint64_t round, std::span<const T> send, std::vector<T, Allocator>& received) {
    received.resize(counts(round));
    comm_.alltoallv_bytes(std::as_bytes(send), sc_, rc_, sizeof(T),
                          std::as_writable_bytes(std::span(received)));
  }

  /// The most records this rank receives in one round (room for every
  /// round's, so that the buffers grow once).
  [[nodiscard]] std::uint64_t most_received() const {
    std::uint64_t most = 0;
    for (std::uint64_t r = 0; r < rounds_; ++r) {
      std::uint64_t in = 0;
      for (std::size_t p = 0; p < parts_; ++p) in += counts_from_[p * rounds_ + r];
      most = std::max(most, in);
    }
    return most;
  }

  /// After move: the records that came from each rank.
  [[nodiscard]] const std::vector<std::uint64_t>& received_from() const noexcept { return rc_; }

 private:
  /// Fills the round's send and receive counts; returns the receive total.
  std::uint64_t counts(std::uint64_t round);

  const dist::Comm& comm_;
  std::size_t parts_;
  std::size_t me_;
  std::uint64_t rounds_;
  const std::vector<std::uint64_t>& start_;
  std::vector<std::uint64_t> counts_from_;  // [source][round]
  std::vector<std::uint64_t> sc_;
  std::vector<std::uint64_t> rc_;
};

inline Rounds::Rounds(const dist::Comm& comm, const IdDirectory& directory,
                      std::span<const std::uint64_t> owned_counts, std::uint64_t sending,
                      std::uint64_t per_round, std::uint64_t kept)
    : ownership_(directory.ownership()), parts_(static_cast<std::size_t>(comm.size())) {
  std::uint64_t owned = 0;
  for (const auto c : owned_counts) owned += c;
  DMF_CHECK(kept <= sending && kept <= owned, "internal: {} ratings kept of {} sent and {} owned",
            kept, sending, owned);
  const std::uint64_t most =
      comm.allreduce<std::uint64_t>(std::max(sending, owned) - kept, dist::Op::kMax);
  per_round = std::max<std::uint64_t>(1, per_round);
  rounds_ = std::max<std::uint64_t>(1, (most + per_round - 1) / per_round);
  const auto mine = round_bounds(directory.first_row(), owned_counts, rounds_);
  bounds_ = comm.allgatherv<std::uint32_t>(mine);  // (rounds + 1) per rank
}

inline RoundExchange::RoundExchange(const dist::Comm& comm, const Rounds& rounds,
                                    const std::vector<std::uint64_t>& start)
    : comm_(comm),
      parts_(rounds.parts()),
      me_(static_cast<std::size_t>(comm.rank())),
      rounds_(rounds.count()),
      start_(start),
      sc_(parts_),
      rc_(parts_) {
  std::vector<std::uint64_t> counts_to(rounds.buckets());  // [destination][round]
  for (std::size_t p = 0; p < parts_; ++p) {
    for (std::uint64_t r = 0; r < rounds_; ++r) {
      counts_to[p * rounds_ + r] = start[r * parts_ + p + 1] - start[r * parts_ + p];
    }
  }
  const std::vector<std::size_t> per_destination(parts_, rounds_);
  counts_from_ = comm.alltoallv<std::uint64_t>(counts_to, per_destination);
}

inline std::uint64_t RoundExchange::counts(std::uint64_t round) {
  std::uint64_t incoming = 0;
  for (std::size_t p = 0; p < parts_; ++p) {
    sc_[p] = start_[round * parts_ + p + 1] - start_[round * parts_ + p];
    rc_[p] = counts_from_[p * rounds_ + round];
    incoming += rc_[p];
  }
  return incoming;
}

}  // namespace dmf::data::detail
