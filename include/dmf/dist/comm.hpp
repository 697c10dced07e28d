// The thin MPI layer (docs/design.md §9): typed collectives over spans, passed in,
// never global. This header does not include <mpi.h>; all MPI calls live in
// src/dist/. A one-rank run goes through exactly the same code.
//
// No size limit (docs/design.md §3): MPI counts and displacements are int, so
// a message of more than max_message_bytes() (1 GiB) between two ranks, or a
// buffer of more than 2^31 - 1 elements, is moved in pieces of at most that
// many bytes; the bytes that arrive are the same either way.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dmf/core/error.hpp"

namespace dmf::dist {

enum class Op { kSum, kMin, kMax };

/// The most bytes one MPI call moves between two ranks; larger messages go
/// in pieces. Tests lower it (Comm::with_max_message_bytes, or the test-only
/// environment variable DMF_TEST_MAX_MESSAGE_BYTES read by dist::Environment)
/// so that the piecewise paths run on small data.
inline constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 30U;

/// Element types MPI reduces natively.
template <class T>
concept Reducible = std::same_as<T, std::int32_t> || std::same_as<T, std::int64_t> ||
    std::same_as<T, std::uint32_t> || std::same_as<T, std::uint64_t> || std::same_as<T, float> ||
    std::same_as<T, double>;

/// Anything moved as plain bytes: records, PODs.
template <class T>
concept Bytewise = std::is_trivially_copyable_v<T>;

/// A communicator: a group of ranks that run collectives together. Cheap to
/// copy; does not own the underlying MPI communicator.
class Comm {
 public:
  /// MPI_COMM_WORLD. MPI must be initialised (see dist::Environment).
  static Comm world();

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] bool is_root() const noexcept { return rank_ == 0; }

  /// The most bytes one MPI call of this communicator moves between two
  /// ranks (kMaxMessageBytes unless a test lowered it).
  [[nodiscard]] std::size_t max_message_bytes() const noexcept { return max_message_bytes_; }

  /// This communicator with a lower message limit (1 to kMaxMessageBytes):
  /// for tests of the piecewise paths. Every rank must pass the same limit.
  [[nodiscard]] Comm with_max_message_bytes(std::size_t bytes) const;

  void barrier() const;

  /// Element-wise reduction of `data` across ranks, in place on every rank.
  /// Beyond max_message_bytes() in consecutive slices: integer sums, min and
  /// max as one call's bit for bit; a floating-point sum may differ from one
  /// call's in the last bit (MPI orders the additions by message size).
  template <Reducible T>
  void allreduce(std::span<T> data, Op op) const;

  template <Reducible T>
  [[nodiscard]] T allreduce(T value, Op op) const {
    allreduce(std::span<T>(&value, 1), op);
    return value;
  }

  /// Sum of `value` over ranks below this one (0 on rank 0).
  template <Reducible T>
  [[nodiscard]] T exscan_sum(T value) const;

  [[nodiscard]] bool any(bool value) const;
  [[nodiscard]] bool all(bool value) const;

  /// One value from every rank, indexed by rank.
  template <Bytewise T>
  [[nodiscard]] std::vector<T> allgather(const T& value) const {
    std::vector<T> out(static_cast<std::size_t>(size_));
    allgather_bytes(as_bytes(std::span<const T>(&value, 1)), as_writable_bytes(std::span<T>(out)));
    return out;
  }

  /// Concatenation of every rank's `data`, in rank order. `counts`, when
  /// given, receives how many elements each rank contributed.
  template <Bytewise T>
  [[nodiscard]] std::vector<T> allgatherv(std::span<const T> data,
                                          std::vector<std::size_t>* counts = nullptr) const {
    const auto all_counts = allgather<std::uint64_t>(data.size());
    std::vector<T> out(total(all_counts, sizeof(T), "allgatherv"));
    allgatherv_bytes(as_bytes(data), all_counts, sizeof(T), as_writable_bytes(std::span<T>(out)));
    if (counts != nullptr) counts->assign(all_counts.begin(), all_counts.end());
    return out;
  }

  /// allgatherv when every rank already knows every rank's count (`counts`,
  /// in elements): no count exchange first. `out` receives the concatenation.
  template <Bytewise T>
  void allgatherv_known(std::span<const T> data, const std::vector<std::uint64_t>& counts,
                        std::vector<T>& out) const {
    out.resize(total(counts, sizeof(T), "allgatherv"));
    allgatherv_bytes(as_bytes(data), counts, sizeof(T), as_writable_bytes(std::span<T>(out)));
  }

  /// Concatenation of every rank's `data` on `root` (empty elsewhere).
  template <Bytewise T>
  [[nodiscard]] std::vector<T> gatherv(std::span<const T> data, int root) const {
    const auto all_counts = allgather<std::uint64_t>(data.size());
    std::vector<T> out(rank_ == root ? total(all_counts, sizeof(T), "gatherv") : 0);
    gatherv_bytes(as_bytes(data), all_counts, sizeof(T), as_writable_bytes(std::span<T>(out)),
                  root);
    return out;
  }

  /// Personalised all-to-all. `send` holds the elements for rank 0, then for
  /// rank 1, ...; `send_counts[p]` of them go to rank p. Returns what every
  /// rank sent here, in source-rank order; `recv_counts`, when given,
  /// receives how many came from each rank.
  template <Bytewise T>
  [[nodiscard]] std::vector<T> alltoallv(std::span<const T> send,
                                         std::span<const std::size_t> send_counts,
                                         std::vector<std::size_t>* recv_counts = nullptr) const {
    std::vector<std::uint64_t> sc(send_counts.begin(), send_counts.end());
    DMF_CHECK(sc.size() == static_cast<std::size_t>(size_),
              "alltoallv: {} send counts for {} ranks", sc.size(), size_);
    std::size_t to_send = 0;
    DMF_CHECK(sum_of(sc, sizeof(T), to_send) && to_send == send.size(),
              "alltoallv: the send counts do not sum to the {} elements given", send.size());
    const auto rc = alltoall_counts(sc);
    const AlltoallvPlan plan = plan_alltoallv(sc, rc, sizeof(T));
    std::vector<T> out(plan.receive_elements);
    alltoallv_planned(as_bytes(send), sc, rc, sizeof(T), as_writable_bytes(std::span<T>(out)),
                      plan);
    if (recv_counts != nullptr) recv_counts->assign(rc.begin(), rc.end());
    return out;
  }

  /// Personalised all-to-all of `element_size`-byte elements whose counts
  /// both sides already know (exchange plans): no count exchange first, but
  /// one small allreduce agreeing on whether the messages go in pieces.
  void alltoallv_bytes(std::span<const std::byte> send,
                       const std::vector<std::uint64_t>& send_counts,
                       const std::vector<std::uint64_t>& recv_counts, std::size_t element_size,
                       std::span<std::byte> out) const;

  /// Sends `send` to rank `dest` while receiving `receive` from rank
  /// `source`: one step of a ring. `receive` has the size of what `source`
  /// sends (the caller knows it); only the ranks of the pair wait for each
  /// other.
  void sendrecv_bytes(std::span<const std::byte> send, int dest, std::span<std::byte> receive,
                      int source) const;

  /// Point to point: `data` to rank `dest`, received there by receive_bytes
  /// with the same `tag` into a buffer of the same size. For small messages
  /// in a chain of ranks (each rank receiving from its predecessor), where a
  /// collective would make every rank wait for the whole chain.
  void send_bytes(std::span<const std::byte> data, int dest, int tag) const;
  void receive_bytes(std::span<std::byte> data, int source, int tag) const;

  /// Root's `data` copied to every rank (sizes must already agree).
  template <Bytewise T>
  void broadcast(std::span<T> data, int root) const {
    broadcast_bytes(as_writable_bytes(data), root);
  }

  template <Bytewise T>
  [[nodiscard]] T broadcast(T value, int root) const {
    broadcast(std::span<T>(&value, 1), root);
    return value;
  }

  [[nodiscard]] std::string broadcast(std::string value, int root) const;

  /// The error agreement point. Every rank passes the error it hit since the
  /// last agreement point (or nothing). If any rank has one, every rank
  /// throws the same collective dmf::Error: the message of the lowest rank
  /// that failed. This is how input errors are raised on every rank and
  /// reported once, without leaving a rank waiting in a later collective.
  void raise_if_any(const std::optional<std::string>& local_error) const;

  /// Runs `work` on every rank and agrees on its outcome: if it throws on any
  /// rank, it throws on every rank (see raise_if_any). Returns work's result.
  template <class Work, class Result = std::invoke_result_t<Work>>
  Result agree(Work&& work) const {
    std::optional<std::string> error;
    if constexpr (std::is_void_v<Result>) {
      try {
        work();
      } catch (const std::exception& e) {
        error = e.what();
      }
      raise_if_any(error);
    } else {
      std::optional<Result> result;
      try {
        result.emplace(work());
      } catch (const std::exception& e) {
        error = e.what();
      }
      raise_if_any(error);
      return std::move(*result);
    }
  }

  /// The Fortran handle of the MPI communicator, for src/dist/ only.
  [[nodiscard]] int handle() const noexcept { return handle_; }

 private:
  Comm(int handle, int rank, int size, std::size_t max_message_bytes) noexcept
      : handle_(handle), rank_(rank), size_(size), max_message_bytes_(max_message_bytes) {}

  /// The sum of `counts` (elements of `element_size` bytes). Throws a
  /// collective dmf::Error when the elements would not fit in memory
  /// arithmetic (size_t, ptrdiff_t): every rank that calls it with the same
  /// counts fails alike, never wraps around.
  static std::size_t total(const std::vector<std::uint64_t>& counts, std::size_t element_size,
                           const char* what);
  /// The sum of `counts` in `sum`, or false when it does not fit (see total).
  static bool sum_of(const std::vector<std::uint64_t>& counts, std::size_t element_size,
                     std::size_t& sum) noexcept;

  /// How an alltoallv goes, agreed by every rank: in one MPI call, or in
  /// pieces; and how many elements arrive here.
  struct AlltoallvPlan {
    std::size_t receive_elements = 0;
    bool in_pieces = false;
  };
  /// Collective: one allreduce. A total that does not fit (see total) on any
  /// rank is an error on every rank.
  [[nodiscard]] AlltoallvPlan plan_alltoallv(const std::vector<std::uint64_t>& send_counts,
                                             const std::vector<std::uint64_t>& recv_counts,
                                             std::size_t element_size) const;
  void alltoallv_planned(std::span<const std::byte> send,
                         const std::vector<std::uint64_t>& send_counts,
                         const std::vector<std::uint64_t>& recv_counts, std::size_t element_size,
                         std::span<std::byte> out, const AlltoallvPlan& plan) const;

  void allgather_bytes(std::span<const std::byte> mine, std::span<std::byte> out) const;
  void allgatherv_bytes(std::span<const std::byte> mine, const std::vector<std::uint64_t>& counts,
                        std::size_t element_size, std::span<std::byte> out) const;
  void gatherv_bytes(std::span<const std::byte> mine, const std::vector<std::uint64_t>& counts,
                     std::size_t element_size, std::span<std::byte> out, int root) const;
  [[nodiscard]] std::vector<std::uint64_t> alltoall_counts(
      const std::vector<std::uint64_t>& send_counts) const;
  void broadcast_bytes(std::span<std::byte> data, int root) const;

  int handle_ = 0;  // MPI_Comm_c2f of the communicator: keeps <mpi.h> out of headers
  int rank_ = 0;
  int size_ = 1;
  std::size_t max_message_bytes_ = kMaxMessageBytes;
};

}  // namespace dmf::dist
