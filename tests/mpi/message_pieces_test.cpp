// Every collective of dist, at 1-4 ranks, with the message limit lowered to a
// few bytes (docs/design.md §3) so that each message goes in many pieces,
// pieces that cut elements apart: the result equals a plain oracle (each
// rank's data is a function of its rank, so every rank knows what every
// other sent) and, bit for bit, the result of the same call in one piece.
// Uneven data: rank 1 sends nothing, the others different amounts.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/dist/file_digests.hpp"
#include "dmf/dist/row_allreduce.hpp"
#include "dmf/dist/row_exchange.hpp"
#include "dmf/dist/strings.hpp"

namespace dmf::dist {
namespace {

/// 12 bytes, so pieces of 13 or 64 bytes cut elements apart.
struct Record {
  std::uint32_t from = 0;
  float value = 0.0F;
  std::uint32_t index = 0;
  bool operator==(const Record&) const = default;
};

Record record(std::uint64_t from, std::uint64_t to, std::uint64_t index) {
  return {static_cast<std::uint32_t>(from * 1000 + to),
          static_cast<float>(index) * 0.37F - static_cast<float>(from),
          static_cast<std::uint32_t>(index)};
}

/// Elements rank `rank` contributes: none on rank 1, uneven elsewhere.
std::uint64_t count_of(int rank, std::uint64_t scale) {
  return rank == 1 ? 0 : scale * static_cast<std::uint64_t>(2 * rank + 3);
}

/// Elements rank `from` sends rank `to` in an alltoallv: zero for some
/// pairs (rank 1 sends nothing; nobody sends rank 2 anything), uneven for
/// the rest, to itself too.
std::uint64_t pair_count(int from, int to) {
  if (from == 1 || to == 2) return 0;
  return static_cast<std::uint64_t>(5 * from + 3 * to + 4);
}

/// The limits tried: pieces smaller than an element, and larger.
const std::vector<std::size_t> kLimits{13, 64};

std::vector<Record> records_of(int rank, std::uint64_t scale) {
  std::vector<Record> out;
  for (std::uint64_t i = 0; i < count_of(rank, scale); ++i) {
    out.push_back(record(static_cast<std::uint64_t>(rank), 0, i));
  }
  return out;
}

std::vector<Record> all_records(const Comm& comm, std::uint64_t scale) {
  std::vector<Record> out;
  for (int p = 0; p < comm.size(); ++p) {
    const auto part = records_of(p, scale);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

TEST(MessagePieces, LimitDefaultsToOneGibibyteAndIsChecked) {
  const auto comm = Comm::world();
  EXPECT_EQ(comm.max_message_bytes(), kMaxMessageBytes);
  EXPECT_EQ(comm.with_max_message_bytes(13).max_message_bytes(), 13U);
  EXPECT_THROW((void)comm.with_max_message_bytes(0), Error);
  EXPECT_THROW((void)comm.with_max_message_bytes(kMaxMessageBytes + 1), Error);
}

TEST(MessagePieces, AllreduceEqualsOnePiece) {
  const auto comm = Comm::world();
  // Integers, and doubles whose sums are exact in any order.
  std::vector<std::uint64_t> ints(301);
  std::vector<double> reals(301);
  for (std::size_t i = 0; i < ints.size(); ++i) {
    ints[i] = i * 7919 + static_cast<std::size_t>(comm.rank()) * 104729;
    reals[i] = static_cast<double>(i) * 0.25 - static_cast<double>(comm.rank()) * 3.5;
  }
  auto whole_ints = ints;
  auto whole_reals = reals;
  comm.allreduce<std::uint64_t>(whole_ints, Op::kSum);
  comm.allreduce<double>(whole_reals, Op::kMax);
  for (std::size_t i = 0; i < ints.size(); ++i) {
    std::uint64_t sum = 0;
    for (int p = 0; p < comm.size(); ++p) sum += i * 7919 + static_cast<std::size_t>(p) * 104729;
    ASSERT_EQ(whole_ints[i], sum);
    ASSERT_EQ(whole_reals[i], static_cast<double>(i) * 0.25);
  }
  for (const auto limit : kLimits) {
    const auto small = comm.with_max_message_bytes(limit);
    auto pieces_ints = ints;
    auto pieces_reals = reals;
    small.allreduce<std::uint64_t>(pieces_ints, Op::kSum);
    small.allreduce<double>(pieces_reals, Op::kMax);
    EXPECT_EQ(pieces_ints, whole_ints) << "limit " << limit;
    EXPECT_EQ(std::memcmp(pieces_reals.data(), whole_reals.data(), reals.size() * sizeof(double)),
              0)
        << "limit " << limit;
  }
  // An empty span is still one collective call on every rank.
  comm.with_max_message_bytes(13).allreduce(std::span<double>(), Op::kSum);
}

TEST(MessagePieces, AllgathervEqualsOracle) {
  const auto world = Comm::world();
  const auto expected = all_records(world, 4);
  for (const auto limit : kLimits) {
    const auto comm = world.with_max_message_bytes(limit);
    const auto mine = records_of(comm.rank(), 4);
    std::vector<std::size_t> counts;
    EXPECT_EQ(comm.allgatherv<Record>(mine, &counts), expected) << "limit " << limit;
    ASSERT_EQ(counts.size(), static_cast<std::size_t>(comm.size()));
    for (int p = 0; p < comm.size(); ++p)
      EXPECT_EQ(counts[static_cast<std::size_t>(p)], count_of(p, 4));
    std::vector<std::uint64_t> known;
    for (int p = 0; p < comm.size(); ++p) known.push_back(count_of(p, 4));
    std::vector<Record> out;
    comm.allgatherv_known<Record>(mine, known, out);
    EXPECT_EQ(out, expected) << "limit " << limit;
    EXPECT_EQ(world.allgatherv<Record>(mine), expected);
  }
}

TEST(MessagePieces, GathervEqualsOracleAtEveryRoot) {
  const auto world = Comm::world();
  const auto expected = all_records(world, 3);
  for (const auto limit : kLimits) {
    const auto comm = world.with_max_message_bytes(limit);
    for (const int root : {0, comm.size() - 1}) {
      const auto got = comm.gatherv<Record>(records_of(comm.rank(), 3), root);
      if (comm.rank() == root) {
        EXPECT_EQ(got, expected) << "limit " << limit << ", root " << root;
      } else {
        EXPECT_TRUE(got.empty());
      }
    }
  }
}

TEST(MessagePieces, AlltoallvEqualsOracle) {
  const auto world = Comm::world();
  const int me = world.rank();
  std::vector<Record> send;
  std::vector<std::size_t> send_counts;
  for (int to = 0; to < world.size(); ++to) {
    send_counts.push_back(pair_count(me, to));
    for (std::uint64_t i = 0; i < pair_count(me, to); ++i) {
      send.push_back(record(static_cast<std::uint64_t>(me), static_cast<std::uint64_t>(to), i));
    }
  }
  std::vector<Record> expected;
  for (int from = 0; from < world.size(); ++from) {
    for (std::uint64_t i = 0; i < pair_count(from, me); ++i) {
      expected.push_back(
          record(static_cast<std::uint64_t>(from), static_cast<std::uint64_t>(me), i));
    }
  }
  std::vector<std::size_t> whole_counts;
  EXPECT_EQ(world.alltoallv<Record>(send, send_counts, &whole_counts), expected);
  for (const auto limit : kLimits) {
    const auto comm = world.with_max_message_bytes(limit);
    std::vector<std::size_t> counts;
    EXPECT_EQ(comm.alltoallv<Record>(send, send_counts, &counts), expected) << "limit " << limit;
    EXPECT_EQ(counts, whole_counts);
  }
}

TEST(MessagePieces, AlltoallvBytesOfElementsLargerThanTheLimit) {
  const auto world = Comm::world();
  const int me = world.rank();
  constexpr std::size_t kElement = 40;  // bytes, above the limit of 13
  std::vector<std::uint64_t> send_counts;
  std::vector<std::uint64_t> recv_counts;
  std::vector<std::byte> send;
  for (int p = 0; p < world.size(); ++p) {
    send_counts.push_back(pair_count(me, p));
    recv_counts.push_back(pair_count(p, me));
    for (std::uint64_t b = 0; b < pair_count(me, p) * kElement; ++b) {
      send.push_back(
          static_cast<std::byte>((b * 31 + static_cast<std::uint64_t>(me * 7 + p)) % 251));
    }
  }
  const std::uint64_t total =
      std::accumulate(recv_counts.begin(), recv_counts.end(), std::uint64_t{0});
  std::vector<std::byte> whole(total * kElement);
  world.alltoallv_bytes(send, send_counts, recv_counts, kElement, whole);
  std::size_t at = 0;
  for (int from = 0; from < world.size(); ++from) {
    for (std::uint64_t b = 0; b < pair_count(from, me) * kElement; ++b, ++at) {
      ASSERT_EQ(whole[at],
                static_cast<std::byte>((b * 31 + static_cast<std::uint64_t>(from * 7 + me)) % 251));
    }
  }
  for (const auto limit : kLimits) {
    std::vector<std::byte> pieces(whole.size());
    world.with_max_message_bytes(limit).alltoallv_bytes(send, send_counts, recv_counts, kElement,
                                                        pieces);
    EXPECT_EQ(pieces, whole) << "limit " << limit;
  }
}

TEST(MessagePieces, RowExchangeEqualsOracle) {
  const auto world = Comm::world();
  // 40 rows; rank 1 owns none; every rank wants every third row from an offset.
  const std::uint32_t rows = 40;
  std::vector<std::uint32_t> boundaries{0};
  for (int p = 0; p < world.size(); ++p) {
    const std::uint32_t take = p == 1 ? 0 : rows / static_cast<std::uint32_t>(world.size()) + 1;
    boundaries.push_back(p + 1 == world.size() ? rows : std::min(rows, boundaries.back() + take));
  }
  std::vector<std::uint32_t> wanted;
  for (auto r = static_cast<std::uint32_t>(world.rank()); r < rows; r += 3) wanted.push_back(r);
  constexpr std::size_t kWidth = 5;
  const auto me = static_cast<std::size_t>(world.rank());
  std::vector<double> owned;
  for (std::uint32_t r = boundaries[me]; r < boundaries[me + 1]; ++r) {
    for (std::size_t c = 0; c < kWidth; ++c) owned.push_back(r * 10.0 + static_cast<double>(c) / 8);
  }
  std::vector<double> expected;
  for (const auto r : wanted) {
    for (std::size_t c = 0; c < kWidth; ++c)
      expected.push_back(r * 10.0 + static_cast<double>(c) / 8);
  }
  for (const auto limit : kLimits) {
    const auto comm = world.with_max_message_bytes(limit);
    const RowExchange plan(comm, boundaries, wanted);
    std::vector<double> out(wanted.size() * kWidth);
    plan.exchange<double>(comm, owned, kWidth, out);
    EXPECT_EQ(out, expected) << "limit " << limit;
  }
}

TEST(MessagePieces, RowAllreduceEqualsOracleSparseAndDense) {
  const auto world = Comm::world();
  constexpr std::uint32_t kRows = 30;
  constexpr std::size_t kWidth = 3;
  std::vector<std::uint32_t> touched;
  std::vector<double> values;
  for (std::uint32_t r = static_cast<std::uint32_t>(world.rank()) % 4; r < kRows; r += 2) {
    touched.push_back(r);
    values.insert(values.end(), {r * 1.0, -0.5 * world.rank(), 1.0});  // last column: a count
  }
  for (const auto mode : {SparseMode::kOn, SparseMode::kOff}) {
    RowAllreduce whole(kRows, kWidth, mode);
    whole.reduce(world, touched, values);
    for (const auto limit : kLimits) {
      RowAllreduce pieces(kRows, kWidth, mode);
      pieces.reduce(world.with_max_message_bytes(limit), touched, values);
      EXPECT_TRUE(std::ranges::equal(pieces.touched(), whole.touched()));
      for (const auto r : whole.touched()) {
        EXPECT_TRUE(std::ranges::equal(pieces.row(r), whole.row(r))) << "row " << r;
      }
    }
  }
}

TEST(MessagePieces, BroadcastSendReceiveAndStrings) {
  const auto world = Comm::world();
  const int last = world.size() - 1;
  std::string text(1000, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  for (const auto limit : kLimits) {
    const auto comm = world.with_max_message_bytes(limit);
    EXPECT_EQ(comm.broadcast(comm.rank() == last ? text : std::string(), last), text);
    EXPECT_EQ(comm.broadcast(comm.rank() == 0 ? std::string() : text, 0), "");
    // A chain 0 -> 1 -> ... -> last, each rank adding its number.
    std::string chain(300, ' ');
    if (comm.rank() > 0)
      comm.receive_bytes(std::as_writable_bytes(std::span(chain)), comm.rank() - 1, 5);
    chain[static_cast<std::size_t>(comm.rank())] = static_cast<char>('0' + comm.rank());
    if (comm.rank() < last) comm.send_bytes(std::as_bytes(std::span(chain)), comm.rank() + 1, 5);
    EXPECT_EQ(chain[0], '0');
    // A ring step: each rank's 1000 + rank bytes to the next.
    std::vector<std::uint8_t> mine(1000 + static_cast<std::size_t>(comm.rank()),
                                   static_cast<std::uint8_t>(comm.rank()));
    const int before = (comm.rank() + comm.size() - 1) % comm.size();
    std::vector<std::uint8_t> theirs(1000 + static_cast<std::size_t>(before));
    comm.sendrecv_bytes(std::as_bytes(std::span(mine)), (comm.rank() + 1) % comm.size(),
                        std::as_writable_bytes(std::span(theirs)), before);
    EXPECT_EQ(theirs, std::vector<std::uint8_t>(theirs.size(), static_cast<std::uint8_t>(before)));
    // Strings: uneven, empty on rank 1.
    std::vector<std::string> strings;
    if (comm.rank() != 1) {
      for (int i = 0; i <= comm.rank(); ++i) strings.push_back(text.substr(0, 7 * i + comm.rank()));
    }
    EXPECT_EQ(allgather_strings(comm, strings), allgather_strings(world, strings));
    // An error message longer than the limit reaches every rank whole.
    try {
      comm.raise_if_any(comm.rank() == last ? std::optional<std::string>(text) : std::nullopt);
      ADD_FAILURE() << "no error raised";
    } catch (const Error& e) {
      EXPECT_EQ(e.what(), text);
      EXPECT_TRUE(e.collective());
    }
  }
}

TEST(MessagePieces, FileDigestsEqualOnePiece) {
  // Chunks of 100 bytes: the hash state handed between ranks (send_bytes)
  // is some hundreds of bytes, many pieces at these limits.
  const auto world = Comm::world();
  std::string part(37 + static_cast<std::size_t>(world.rank()) * 53, 'x');
  for (std::size_t i = 0; i < part.size(); ++i) part[i] = static_cast<char>(i * 7 + world.rank());
  auto digests_of = [&](const Comm& comm) {
    FileDigests digests(comm, 100);
    std::uint64_t size = 0;
    for (int call = 0; call < 2; ++call) {
      const auto offset = size + comm.exscan_sum<std::uint64_t>(part.size());
      const auto after = size + comm.allreduce<std::uint64_t>(part.size(), Op::kSum);
      digests.add(part, offset, after);
      size = after;
    }
    return digests.finish(size);
  };
  const auto whole = digests_of(world);
  for (const auto limit : kLimits)
    EXPECT_EQ(digests_of(world.with_max_message_bytes(limit)), whole);
}

TEST(MessagePieces, TotalsMemoryCannotAddressAreOneErrorOnEveryRank) {
  const auto world = Comm::world();
  // allgatherv with counts every rank shares: a collective error, no MPI call.
  const std::vector<std::uint64_t> huge(static_cast<std::size_t>(world.size()),
                                        std::uint64_t{1} << 62U);
  std::vector<double> out;
  try {
    world.allgatherv_known<double>({}, huge, out);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("more than memory can address"), std::string::npos)
        << e.what();
  }
  // alltoallv whose counts only the last rank holds: every rank raises it.
  const int last = world.size() - 1;
  std::vector<std::uint64_t> send_counts(static_cast<std::size_t>(world.size()), 0);
  std::vector<std::uint64_t> recv_counts(static_cast<std::size_t>(world.size()), 0);
  if (world.rank() == last) recv_counts[0] = std::uint64_t{1} << 62U;
  try {
    world.alltoallv_bytes({}, send_counts, recv_counts, 8, {});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find(fmt::format("rank {} would receive", last)),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dmf::dist
