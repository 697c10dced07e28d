#include "routing.hpp"

#include <algorithm>

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

}  // namespace

BlockBuildResult route_and_build(const dist::Comm& comm, const LocalRatings& local, Side side,
                                 std::span<const std::uint32_t> user_rows,
                                 std::span<const std::uint32_t> item_rows,
                                 const IdDirectory& directory,
                                 std::span<const std::uint64_t> owned_counts,
                                 const RouteOptions& options, RouteBuffers& buffers) {
  const auto parts = static_cast<std::size_t>(comm.size());
  const bool by_user = side == Side::kUsers;
  const auto& row_of_rating = by_user ? local.users : local.items;
  const auto row_rows = by_user ? user_rows : item_rows;
  const auto& column_of_rating = by_user ? local.items : local.users;
  const auto column_rows = by_user ? item_rows : user_rows;
  const bool with_times = !local.times.empty();
  const bool with_lines = options.lines;
  DMF_CHECK(!with_lines || local.lines.size() == local.size(),
            "internal: routing lines that were not kept");
  DMF_CHECK(local.size() < 0xFFFFFFFFULL, "more than 4 billion ratings on one rank");

  // Rounds: enough that no rank sends or receives much more than
  // round_ratings ratings in one.
  std::uint64_t owned_total = 0;
  for (const auto c : owned_counts) owned_total += c;
  const std::uint64_t most = comm.allreduce<std::uint64_t>(
      std::max<std::uint64_t>(local.size(), owned_total), dist::Op::kMax);
  const std::uint64_t per_round = std::max<std::uint64_t>(1, options.round_ratings);
  const std::uint64_t rounds = std::max<std::uint64_t>(1, (most + per_round - 1) / per_round);
  const auto my_bounds = round_bounds(directory.first_row(), owned_counts, rounds);
  const auto bounds = comm.allgatherv<std::uint32_t>(my_bounds);  // (rounds + 1) per rank

  // The bucket (round * parts + owner) of each distinct local token.
  const Ownership& ownership = directory.ownership();
  std::vector<std::uint32_t> bucket(row_rows.size());
  for (std::size_t t = 0; t < row_rows.size(); ++t) {
    const std::uint32_t row = row_rows[t];
    const auto owner = static_cast<std::size_t>(ownership.owner(row));
    const auto first = bounds.begin() + static_cast<std::ptrdiff_t>(owner * (rounds + 1));
    const auto round = static_cast<std::uint64_t>(
        std::upper_bound(first + 1, first + static_cast<std::ptrdiff_t>(rounds), row) -
        (first + 1));
    bucket[t] = static_cast<std::uint32_t>(round * parts + owner);
  }

  // Counting sort of the local ratings by bucket: stable, so each bucket
  // keeps file order.
  const std::size_t buckets = rounds * parts;
  std::vector<std::uint64_t> start(buckets + 1, 0);
  for (const auto r : row_of_rating) ++start[bucket[r] + 1];
  for (std::size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  std::vector<std::uint64_t> send_counts(start.begin(), start.end() - 1);  // reused as cursors
  buffers.order.resize(local.size());
  for (std::size_t k = 0; k < local.size(); ++k) {
    buffers.order[send_counts[bucket[row_of_rating[k]]]++] = static_cast<std::uint32_t>(k);
  }

  // Every owner learns what each source sends it per round.
  std::vector<std::uint64_t> counts_to(buckets);
  for (std::size_t p = 0; p < parts; ++p) {
    for (std::uint64_t r = 0; r < rounds; ++r) {
      const std::size_t b = r * parts + p;
      counts_to[p * rounds + r] = start[b + 1] - start[b];
    }
  }
  const std::vector<std::size_t> per_destination(parts, rounds);
  const auto counts_from = comm.alltoallv<std::uint64_t>(counts_to, per_destination);

  BlockAssembler assembler(directory.first_row(), owned_counts, with_times, with_lines);
  std::vector<std::uint64_t> sc(parts);
  std::vector<std::uint64_t> rc(parts);
  for (std::uint64_t round = 0; round < rounds; ++round) {
    const std::uint64_t begin = start[round * parts];
    const std::uint64_t end = start[(round + 1) * parts];
    std::uint64_t incoming = 0;
    for (std::size_t p = 0; p < parts; ++p) {
      sc[p] = start[round * parts + p + 1] - start[round * parts + p];
      rc[p] = counts_from[p * rounds + round];
      incoming += rc[p];
    }
    buffers.send.resize(end - begin);
    parallel_for(options.threads, static_cast<std::int64_t>(end - begin), [&](std::int64_t j) {
      const std::uint32_t k = buffers.order[begin + static_cast<std::uint64_t>(j)];
      buffers.send[static_cast<std::size_t>(j)] = {
          row_rows[row_of_rating[k]], column_rows[column_of_rating[k]], local.values[k]};
    });
    buffers.received.resize(incoming);
    comm.alltoallv_bytes(bytes_of(buffers.send), sc, rc, sizeof(BlockEntry),
                         writable_bytes(buffers.received));
    if (with_times) {
      buffers.send_times.resize(end - begin);
      for (std::uint64_t j = begin; j < end; ++j) {
        buffers.send_times[j - begin] = local.times[buffers.order[j]];
      }
      buffers.received_times.resize(incoming);
      comm.alltoallv_bytes(bytes_of(buffers.send_times), sc, rc, sizeof(std::int64_t),
                           writable_bytes(buffers.received_times));
    }
    if (with_lines) {
      buffers.send_lines.resize(end - begin);
      for (std::uint64_t j = begin; j < end; ++j) {
        buffers.send_lines[j - begin] = local.lines[buffers.order[j]];
      }
      buffers.received_lines.resize(incoming);
      comm.alltoallv_bytes(bytes_of(buffers.send_lines), sc, rc, sizeof(std::uint64_t),
                           writable_bytes(buffers.received_lines));
    }
    assembler.add(buffers.received,
                  with_times ? std::span<const std::int64_t>(buffers.received_times)
                             : std::span<const std::int64_t>(),
                  with_lines ? std::span<const std::uint64_t>(buffers.received_lines)
                             : std::span<const std::uint64_t>());
  }
  return assembler.finish(options.duplicates, options.threads);
}

void raise_duplicates(const dist::Comm& comm, const IdDirectory& users_dir,
                      const IdDirectory& items_dir, const std::string& path,
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
  const auto users = users_dir.tokens_of(comm, user_rows);
  const auto items = items_dir.tokens_of(comm, item_rows);
  std::string shown;
  for (std::size_t k = 0; k < examples.size(); ++k) {
    shown += fmt::format("{}user {}, item {} on lines {} and {}", k == 0 ? "" : "; ", users[k],
                         items[k], examples[k].first_line, examples[k].second_line);
  }
  throw Error(fmt::format("{}: {} (user, item) pair{} rated more than once: {}{}. Pass "
                          "--duplicates first|last|mean|sum to merge them",
                          path, pairs, pairs == 1 ? " is" : "s are", shown,
                          pairs > examples.size() ? "; ..." : ""),
              /*collective=*/true);
}

}  // namespace dmf::data
