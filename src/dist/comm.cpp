#include "dmf/dist/comm.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "check_mpi.hpp"
#include "message_limit.hpp"
#include "message_pieces.hpp"

namespace dmf::dist {
namespace {

using detail::byte_offsets;
using detail::check_mpi;
using detail::fits_one_call;
using detail::for_each_piece;
using detail::for_each_piece_or_empty;

MPI_Comm native(int handle) { return MPI_Comm_f2c(handle); }

template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<std::int32_t>() {
  return MPI_INT32_T;
}
template <>
MPI_Datatype mpi_type<std::int64_t>() {
  return MPI_INT64_T;
}
template <>
MPI_Datatype mpi_type<std::uint32_t>() {
  return MPI_UINT32_T;
}
template <>
MPI_Datatype mpi_type<std::uint64_t>() {
  return MPI_UINT64_T;
}
template <>
MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}

MPI_Op mpi_op(Op op) {
  switch (op) {
    case Op::kSum:
      return MPI_SUM;
    case Op::kMin:
      return MPI_MIN;
    case Op::kMax:
      return MPI_MAX;
  }
  return MPI_OP_NULL;
}

int to_int(std::uint64_t value, const char* what) {
  DMF_CHECK(value <= static_cast<std::uint64_t>(INT_MAX),
            "{}: {} elements exceed what one MPI call can move ({})", what, value, INT_MAX);
  return static_cast<int>(value);
}

/// The tag of the point-to-point pieces of a collective (alltoallv, gatherv)
/// that did not fit one MPI call, apart from every other message's.
constexpr int kPieceTag = 7102;
/// The tag of a ring step's pieces (sendrecv_bytes).
constexpr int kRingTag = 7103;

/// A contiguous datatype of `size` bytes, so that counts are in elements and
/// stay below INT_MAX for much larger messages than byte counts would.
class ElementType {
 public:
  explicit ElementType(std::size_t size) {
    check_mpi(MPI_Type_contiguous(to_int(size, "element size"), MPI_BYTE, &type_),
              "MPI_Type_contiguous");
    check_mpi(MPI_Type_commit(&type_), "MPI_Type_commit");
  }
  ElementType(const ElementType&) = delete;
  ElementType& operator=(const ElementType&) = delete;
  ~ElementType() { MPI_Type_free(&type_); }
  [[nodiscard]] MPI_Datatype get() const noexcept { return type_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

/// Counts and displacements as the int arrays MPI wants.
struct Layout {
  std::vector<int> counts;
  std::vector<int> displs;
};

Layout layout_of(const std::vector<std::uint64_t>& counts, const char* what) {
  Layout l;
  l.counts.reserve(counts.size());
  l.displs.reserve(counts.size());
  std::uint64_t offset = 0;
  for (auto c : counts) {
    l.counts.push_back(to_int(c, what));
    l.displs.push_back(to_int(offset, what));
    offset += c;
  }
  to_int(offset, what);
  return l;
}

}  // namespace

Comm Comm::world() {
  int rank = 0;
  int size = 1;
  check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  return {static_cast<int>(MPI_Comm_c2f(MPI_COMM_WORLD)), rank, size,
          detail::process_max_message_bytes()};
}

Comm Comm::with_max_message_bytes(std::size_t bytes) const {
  DMF_CHECK(bytes >= 1 && bytes <= kMaxMessageBytes,
            "a message limit of {} bytes is outside 1 to {}", bytes, kMaxMessageBytes);
  Comm copy = *this;
  copy.max_message_bytes_ = bytes;
  return copy;
}

bool Comm::sum_of(const std::vector<std::uint64_t>& counts, std::size_t element_size,
                  std::size_t& sum) noexcept {
  // Every byte of the result must be addressable by a ptrdiff_t (vectors,
  // spans and pointer differences).
  const std::uint64_t most =
      static_cast<std::uint64_t>(PTRDIFF_MAX) / std::max<std::size_t>(element_size, 1);
  std::uint64_t running = 0;
  for (const auto c : counts) {
    if (c > most - running) return false;
    running += c;
  }
  sum = static_cast<std::size_t>(running);
  return true;
}

std::size_t Comm::total(const std::vector<std::uint64_t>& counts, std::size_t element_size,
                        const char* what) {
  std::size_t sum = 0;
  if (!sum_of(counts, element_size, sum)) {
    fail_everywhere("{}: the ranks' {}-byte elements add up to more than memory can address", what,
                    element_size);
  }
  return sum;
}

void Comm::barrier() const { check_mpi(MPI_Barrier(native(handle_)), "MPI_Barrier"); }

template <Reducible T>
void Comm::allreduce(std::span<T> data, Op op) const {
  // Every rank passes the same size, so every rank makes the same calls.
  const std::size_t step = std::max<std::size_t>(max_message_bytes_ / sizeof(T), 1);
  std::size_t begin = 0;
  do {
    const std::size_t count = std::min(step, data.size() - begin);
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data.data() + begin, static_cast<int>(count),
                            mpi_type<T>(), mpi_op(op), native(handle_)),
              "MPI_Allreduce");
    begin += count;
  } while (begin < data.size());
}

template <Reducible T>
T Comm::exscan_sum(T value) const {
  T result{};
  check_mpi(MPI_Exscan(&value, &result, 1, mpi_type<T>(), MPI_SUM, native(handle_)), "MPI_Exscan");
  return rank_ == 0 ? T{} : result;  // MPI leaves rank 0's result undefined
}

#define DMF_INSTANTIATE(T)                                  \
  template void Comm::allreduce<T>(std::span<T>, Op) const; \
  template T Comm::exscan_sum<T>(T) const;
DMF_INSTANTIATE(std::int32_t)
DMF_INSTANTIATE(std::int64_t)
DMF_INSTANTIATE(std::uint32_t)
DMF_INSTANTIATE(std::uint64_t)
DMF_INSTANTIATE(float)
DMF_INSTANTIATE(double)
#undef DMF_INSTANTIATE

bool Comm::any(bool value) const { return allreduce<std::int32_t>(value ? 1 : 0, Op::kMax) != 0; }
bool Comm::all(bool value) const { return allreduce<std::int32_t>(value ? 1 : 0, Op::kMin) != 0; }

void Comm::allgather_bytes(std::span<const std::byte> mine, std::span<std::byte> out) const {
  // One value per rank (allgather<T>): sizeof(T) bytes, never near the limit.
  check_mpi(MPI_Allgather(mine.data(), to_int(mine.size(), "allgather"), MPI_BYTE, out.data(),
                          to_int(mine.size(), "allgather"), MPI_BYTE, native(handle_)),
            "MPI_Allgather");
}

void Comm::allgatherv_bytes(std::span<const std::byte> mine,
                            const std::vector<std::uint64_t>& counts, std::size_t element_size,
                            std::span<std::byte> out) const {
  const auto me = static_cast<std::size_t>(rank_);
  DMF_CHECK(
      counts.size() == static_cast<std::size_t>(size_) && mine.size() == counts[me] * element_size,
      "allgatherv: {} bytes given, {} elements of {} bytes counted", mine.size(),
      counts.size() > me ? counts[me] : 0, element_size);
  // Every rank knows every count, so every rank takes the same path.
  if (fits_one_call(counts, element_size, max_message_bytes_)) {
    const ElementType type(element_size);
    const Layout l = layout_of(counts, "allgatherv");
    check_mpi(MPI_Allgatherv(mine.data(), l.counts[me], type.get(), out.data(), l.counts.data(),
                             l.displs.data(), type.get(), native(handle_)),
              "MPI_Allgatherv");
    return;
  }
  // In pieces: each rank's part is broadcast from there, piece by piece,
  // straight to its place (pointers, no int displacements).
  const auto offsets = byte_offsets(counts, element_size);
  if (!mine.empty()) std::memcpy(out.data() + offsets[me], mine.data(), mine.size());
  for (int q = 0; q < size_; ++q) {
    const auto from = static_cast<std::size_t>(q);
    std::byte* part = out.data() + offsets[from];
    for_each_piece(counts[from] * element_size, max_message_bytes_, [&](std::size_t at, int n) {
      check_mpi(MPI_Bcast(part + at, n, MPI_BYTE, q, native(handle_)), "MPI_Bcast");
    });
  }
}

void Comm::gatherv_bytes(std::span<const std::byte> mine, const std::vector<std::uint64_t>& counts,
                         std::size_t element_size, std::span<std::byte> out, int root) const {
  const auto me = static_cast<std::size_t>(rank_);
  DMF_CHECK(
      counts.size() == static_cast<std::size_t>(size_) && mine.size() == counts[me] * element_size,
      "gatherv: {} bytes given, {} elements of {} bytes counted", mine.size(),
      counts.size() > me ? counts[me] : 0, element_size);
  if (fits_one_call(counts, element_size, max_message_bytes_)) {
    const ElementType type(element_size);
    const Layout l = layout_of(counts, "gatherv");
    check_mpi(MPI_Gatherv(mine.data(), l.counts[me], type.get(), out.data(), l.counts.data(),
                          l.displs.data(), type.get(), root, native(handle_)),
              "MPI_Gatherv");
    return;
  }
  // In pieces, point to point: the root takes each rank's part in turn,
  // straight to its place.
  if (rank_ != root) {
    for_each_piece(mine.size(), max_message_bytes_, [&](std::size_t at, int n) {
      check_mpi(MPI_Send(mine.data() + at, n, MPI_BYTE, root, kPieceTag, native(handle_)),
                "MPI_Send");
    });
    return;
  }
  const auto offsets = byte_offsets(counts, element_size);
  if (!mine.empty()) std::memcpy(out.data() + offsets[me], mine.data(), mine.size());
  for (int q = 0; q < size_; ++q) {
    if (q == root) continue;
    const auto from = static_cast<std::size_t>(q);
    std::byte* part = out.data() + offsets[from];
    for_each_piece(counts[from] * element_size, max_message_bytes_, [&](std::size_t at, int n) {
      check_mpi(MPI_Recv(part + at, n, MPI_BYTE, q, kPieceTag, native(handle_), MPI_STATUS_IGNORE),
                "MPI_Recv");
    });
  }
}

std::vector<std::uint64_t> Comm::alltoall_counts(
    const std::vector<std::uint64_t>& send_counts) const {
  std::vector<std::uint64_t> recv(send_counts.size());
  check_mpi(MPI_Alltoall(send_counts.data(), 1, MPI_UINT64_T, recv.data(), 1, MPI_UINT64_T,
                         native(handle_)),
            "MPI_Alltoall");
  return recv;
}

Comm::AlltoallvPlan Comm::plan_alltoallv(const std::vector<std::uint64_t>& send_counts,
                                         const std::vector<std::uint64_t>& recv_counts,
                                         std::size_t element_size) const {
  DMF_CHECK(send_counts.size() == static_cast<std::size_t>(size_) &&
                recv_counts.size() == static_cast<std::size_t>(size_),
            "alltoallv: {} send and {} receive counts for {} ranks", send_counts.size(),
            recv_counts.size(), size_);
  AlltoallvPlan plan;
  std::optional<std::string> error;
  if (!sum_of(recv_counts, element_size, plan.receive_elements)) {
    error = fmt::format(
        "alltoallv: rank {} would receive more {}-byte elements than memory can address", rank_,
        element_size);
  }
  // Each rank knows only its own counts: one allreduce agrees on the path.
  std::array<std::uint64_t, 2> any{
      error ? 1U : 0U, fits_one_call(send_counts, element_size, max_message_bytes_) &&
                               fits_one_call(recv_counts, element_size, max_message_bytes_)
                           ? 0U
                           : 1U};
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, any.data(), 2, MPI_UINT64_T, MPI_MAX, native(handle_)),
            "MPI_Allreduce");
  if (any[0] != 0) raise_if_any(error);
  plan.in_pieces = any[1] != 0;
  return plan;
}

void Comm::alltoallv_bytes(std::span<const std::byte> send,
                           const std::vector<std::uint64_t>& send_counts,
                           const std::vector<std::uint64_t>& recv_counts, std::size_t element_size,
                           std::span<std::byte> out) const {
  const AlltoallvPlan plan = plan_alltoallv(send_counts, recv_counts, element_size);
  alltoallv_planned(send, send_counts, recv_counts, element_size, out, plan);
}

void Comm::alltoallv_planned(std::span<const std::byte> send,
                             const std::vector<std::uint64_t>& send_counts,
                             const std::vector<std::uint64_t>& recv_counts,
                             std::size_t element_size, std::span<std::byte> out,
                             const AlltoallvPlan& plan) const {
  std::size_t sent = 0;
  DMF_CHECK(sum_of(send_counts, element_size, sent) && sent * element_size <= send.size() &&
                plan.receive_elements * element_size <= out.size(),
            "alltoallv: {} bytes to send and room for {}, less than the counts say", send.size(),
            out.size());
  if (!plan.in_pieces) {
    const ElementType type(element_size);
    const Layout s = layout_of(send_counts, "alltoallv");
    const Layout r = layout_of(recv_counts, "alltoallv");
    check_mpi(MPI_Alltoallv(send.data(), s.counts.data(), s.displs.data(), type.get(), out.data(),
                            r.counts.data(), r.displs.data(), type.get(), native(handle_)),
              "MPI_Alltoallv");
    return;
  }
  // In pieces, point to point, in rounds: round r moves piece r of every
  // message, straight from and to its place (pointers, no int
  // displacements). Both ends of a message know its size, so they agree on
  // its pieces; messages between two ranks arrive in the order sent.
  const auto me = static_cast<std::size_t>(rank_);
  const auto send_at = byte_offsets(send_counts, element_size);
  const auto recv_at = byte_offsets(recv_counts, element_size);
  const std::size_t own = static_cast<std::size_t>(send_counts[me]) * element_size;
  DMF_CHECK(own == recv_counts[me] * element_size, "alltoallv: {} bytes sent to self, {} expected",
            own, recv_counts[me] * element_size);
  if (own > 0) std::memcpy(out.data() + recv_at[me], send.data() + send_at[me], own);
  const std::size_t limit = max_message_bytes_;
  std::size_t rounds = 0;
  for (std::size_t p = 0; p < send_counts.size(); ++p) {
    const std::size_t most = std::max(send_counts[p], recv_counts[p]) * element_size;
    rounds = std::max(rounds, (most + limit - 1) / limit);
  }
  std::vector<MPI_Request> requests;
  for (std::size_t round = 0; round < rounds; ++round) {
    requests.clear();
    const std::size_t begin = round * limit;
    // From the next rank on, so that not every rank sends to rank 0 first.
    for (int step = 1; step < size_; ++step) {
      const int from = (rank_ + size_ - step) % size_;
      const auto f = static_cast<std::size_t>(from);
      const std::size_t bytes = static_cast<std::size_t>(recv_counts[f]) * element_size;
      if (begin >= bytes) continue;
      requests.emplace_back();
      check_mpi(MPI_Irecv(out.data() + recv_at[f] + begin,
                          static_cast<int>(std::min(limit, bytes - begin)), MPI_BYTE, from,
                          kPieceTag, native(handle_), &requests.back()),
                "MPI_Irecv");
    }
    for (int step = 1; step < size_; ++step) {
      const int to = (rank_ + step) % size_;
      const auto t = static_cast<std::size_t>(to);
      const std::size_t bytes = static_cast<std::size_t>(send_counts[t]) * element_size;
      if (begin >= bytes) continue;
      requests.emplace_back();
      check_mpi(MPI_Isend(send.data() + send_at[t] + begin,
                          static_cast<int>(std::min(limit, bytes - begin)), MPI_BYTE, to, kPieceTag,
                          native(handle_), &requests.back()),
                "MPI_Isend");
    }
    check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
              "MPI_Waitall");
  }
}

void Comm::sendrecv_bytes(std::span<const std::byte> send, int dest, std::span<std::byte> receive,
                          int source) const {
  // In pieces of at most max_message_bytes_ (MPI counts are int), all posted
  // at once: the sender cuts `send` as the receiver cuts its buffer of the
  // same size, and MPI matches messages of one pair and tag in order, so the
  // two need not agree on a number of rounds first (an allreduce, a sync of
  // every rank, before each step of a ring).
  std::vector<MPI_Request> requests;
  for_each_piece(receive.size(), max_message_bytes_, [&](std::size_t at, int n) {
    requests.emplace_back();
    check_mpi(MPI_Irecv(receive.data() + at, n, MPI_BYTE, source, kRingTag, native(handle_),
                        &requests.back()),
              "MPI_Irecv");
  });
  for_each_piece(send.size(), max_message_bytes_, [&](std::size_t at, int n) {
    requests.emplace_back();
    check_mpi(
        MPI_Isend(send.data() + at, n, MPI_BYTE, dest, kRingTag, native(handle_), &requests.back()),
        "MPI_Isend");
  });
  check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
            "MPI_Waitall");
}

void Comm::send_bytes(std::span<const std::byte> data, int dest, int tag) const {
  // The receiver cuts its buffer, of the same size, into the same pieces.
  for_each_piece_or_empty(data.size(), max_message_bytes_, [&](std::size_t at, int n) {
    check_mpi(MPI_Send(data.data() + at, n, MPI_BYTE, dest, tag, native(handle_)), "MPI_Send");
  });
}

void Comm::receive_bytes(std::span<std::byte> data, int source, int tag) const {
  for_each_piece_or_empty(data.size(), max_message_bytes_, [&](std::size_t at, int n) {
    check_mpi(
        MPI_Recv(data.data() + at, n, MPI_BYTE, source, tag, native(handle_), MPI_STATUS_IGNORE),
        "MPI_Recv");
  });
}

void Comm::broadcast_bytes(std::span<std::byte> data, int root) const {
  for_each_piece_or_empty(data.size(), max_message_bytes_, [&](std::size_t at, int n) {
    check_mpi(MPI_Bcast(data.data() + at, n, MPI_BYTE, root, native(handle_)), "MPI_Bcast");
  });
}

std::string Comm::broadcast(std::string value, int root) const {
  auto length = broadcast<std::uint64_t>(value.size(), root);
  value.resize(static_cast<std::size_t>(length));
  broadcast(std::span<char>(value.data(), value.size()), root);
  return value;
}

void Comm::raise_if_any(const std::optional<std::string>& local_error) const {
  const std::int32_t mine = local_error ? rank_ : size_;
  const std::int32_t first = allreduce<std::int32_t>(mine, Op::kMin);
  if (first == size_) return;
  const std::string message = broadcast(rank_ == first ? *local_error : std::string(), first);
  throw Error(message, /*collective=*/true);
}

}  // namespace dmf::dist
