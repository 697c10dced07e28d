#include "dmf/dist/comm.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <numeric>

namespace dmf::dist {
namespace {

MPI_Comm native(int handle) { return MPI_Comm_f2c(handle); }

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail("MPI call {} failed: {}", what, std::string(text, static_cast<std::size_t>(length)));
}

template <class T>
MPI_Datatype mpi_type();
template <> MPI_Datatype mpi_type<std::int32_t>() { return MPI_INT32_T; }
template <> MPI_Datatype mpi_type<std::int64_t>() { return MPI_INT64_T; }
template <> MPI_Datatype mpi_type<std::uint32_t>() { return MPI_UINT32_T; }
template <> MPI_Datatype mpi_type<std::uint64_t>() { return MPI_UINT64_T; }
template <> MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <> MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }

MPI_Op mpi_op(Op op) {
  switch (op) {
    case Op::kSum: return MPI_SUM;
    case Op::kMin: return MPI_MIN;
    case Op::kMax: return MPI_MAX;
  }
  return MPI_OP_NULL;
}

int to_int(std::uint64_t value, const char* what) {
  DMF_CHECK(value <= static_cast<std::uint64_t>(INT_MAX),
            "{}: {} elements exceed what one MPI call can move ({})", what, value, INT_MAX);
  return static_cast<int>(value);
}

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
  return {static_cast<int>(MPI_Comm_c2f(MPI_COMM_WORLD)), rank, size};
}

void Comm::barrier() const { check_mpi(MPI_Barrier(native(handle_)), "MPI_Barrier"); }

template <Reducible T>
void Comm::allreduce(std::span<T> data, Op op) const {
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, data.data(), to_int(data.size(), "allreduce"),
                          mpi_type<T>(), mpi_op(op), native(handle_)),
            "MPI_Allreduce");
}

template <Reducible T>
T Comm::exscan_sum(T value) const {
  T result{};
  check_mpi(MPI_Exscan(&value, &result, 1, mpi_type<T>(), MPI_SUM, native(handle_)), "MPI_Exscan");
  return rank_ == 0 ? T{} : result;  // MPI leaves rank 0's result undefined
}

#define DMF_INSTANTIATE(T)                                           \
  template void Comm::allreduce<T>(std::span<T>, Op) const;          \
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
  check_mpi(MPI_Allgather(mine.data(), to_int(mine.size(), "allgather"), MPI_BYTE, out.data(),
                          to_int(mine.size(), "allgather"), MPI_BYTE, native(handle_)),
            "MPI_Allgather");
}

void Comm::allgatherv_bytes(std::span<const std::byte> mine,
                            const std::vector<std::uint64_t>& counts, std::size_t element_size,
                            std::span<std::byte> out) const {
  const ElementType type(element_size);
  const Layout l = layout_of(counts, "allgatherv");
  check_mpi(MPI_Allgatherv(mine.data(), l.counts[static_cast<std::size_t>(rank_)], type.get(),
                           out.data(), l.counts.data(), l.displs.data(), type.get(),
                           native(handle_)),
            "MPI_Allgatherv");
}

void Comm::gatherv_bytes(std::span<const std::byte> mine, const std::vector<std::uint64_t>& counts,
                         std::size_t element_size, std::span<std::byte> out, int root) const {
  const ElementType type(element_size);
  const Layout l = layout_of(counts, "gatherv");
  check_mpi(MPI_Gatherv(mine.data(), l.counts[static_cast<std::size_t>(rank_)], type.get(),
                        out.data(), l.counts.data(), l.displs.data(), type.get(), root,
                        native(handle_)),
            "MPI_Gatherv");
}

std::vector<std::uint64_t> Comm::alltoall_counts(
    const std::vector<std::uint64_t>& send_counts) const {
  std::vector<std::uint64_t> recv(send_counts.size());
  check_mpi(MPI_Alltoall(send_counts.data(), 1, MPI_UINT64_T, recv.data(), 1, MPI_UINT64_T,
                         native(handle_)),
            "MPI_Alltoall");
  return recv;
}

void Comm::alltoallv_bytes(std::span<const std::byte> send,
                           const std::vector<std::uint64_t>& send_counts,
                           const std::vector<std::uint64_t>& recv_counts,
                           std::size_t element_size, std::span<std::byte> out) const {
  const ElementType type(element_size);
  const Layout s = layout_of(send_counts, "alltoallv");
  const Layout r = layout_of(recv_counts, "alltoallv");
  check_mpi(MPI_Alltoallv(send.data(), s.counts.data(), s.displs.data(), type.get(), out.data(),
                          r.counts.data(), r.displs.data(), type.get(), native(handle_)),
            "MPI_Alltoallv");
}

void Comm::sendrecv_bytes(std::span<const std::byte> send, int dest, std::span<std::byte> receive,
                          int source) const {
  // In rounds of at most 1 GiB: MPI counts are int.
  constexpr std::size_t kRound = std::size_t{1} << 30U;
  const std::size_t rounds =
      std::max((send.size() + kRound - 1) / kRound, (receive.size() + kRound - 1) / kRound);
  const auto all_rounds = allreduce<std::uint64_t>(rounds, Op::kMax);
  for (std::uint64_t r = 0; r < all_rounds; ++r) {
    const std::size_t s_begin = std::min(send.size(), r * kRound);
    const std::size_t s_count = std::min(send.size() - s_begin, kRound);
    const std::size_t r_begin = std::min(receive.size(), r * kRound);
    const std::size_t r_count = std::min(receive.size() - r_begin, kRound);
    check_mpi(MPI_Sendrecv(send.data() + s_begin, static_cast<int>(s_count), MPI_BYTE, dest, 0,
                           receive.data() + r_begin, static_cast<int>(r_count), MPI_BYTE, source,
                           0, native(handle_), MPI_STATUS_IGNORE),
              "MPI_Sendrecv");
  }
}

void Comm::send_bytes(std::span<const std::byte> data, int dest, int tag) const {
  check_mpi(
      MPI_Send(data.data(), to_int(data.size(), "send"), MPI_BYTE, dest, tag, native(handle_)),
      "MPI_Send");
}

void Comm::receive_bytes(std::span<std::byte> data, int source, int tag) const {
  check_mpi(MPI_Recv(data.data(), to_int(data.size(), "receive"), MPI_BYTE, source, tag,
                     native(handle_), MPI_STATUS_IGNORE),
            "MPI_Recv");
}

void Comm::broadcast_bytes(std::span<std::byte> data, int root) const {
  check_mpi(MPI_Bcast(data.data(), to_int(data.size(), "broadcast"), MPI_BYTE, root,
                      native(handle_)),
            "MPI_Bcast");
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
