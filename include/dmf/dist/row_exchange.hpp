// An exchange plan (docs/design.md §3): which rows of a distributed matrix each
// rank needs from each other rank, worked out once, then used every sweep.
// Each exchange is one MPI_Alltoallv with counts known on both sides (in
// pieces when a message exceeds 1 GiB, see Comm); no rank ever gathers a
// whole matrix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"

namespace dmf::dist {

class RowExchange {
 public:
  RowExchange() = default;

  /// Collective. Rank p owns global rows [boundaries[p], boundaries[p+1]) of
  /// the matrix; this rank needs the rows `wanted` (ascending, distinct).
  RowExchange(const Comm& comm, std::span<const std::uint32_t> boundaries,
              std::span<const std::uint32_t> wanted);

  /// Collective over the communicator of the constructor. `owned` holds this rank's rows, `width` values each, from
  /// its first row on; `out` receives the wanted rows in the order of
  /// `wanted` (wanted_rows() × width values).
  template <Bytewise T>
  void exchange(const Comm& comm, std::span<const T> owned, std::size_t width,
                std::span<T> out) const {
    exchange_bytes(comm, std::as_bytes(owned), width * sizeof(T), std::as_writable_bytes(out));
  }

  [[nodiscard]] std::size_t wanted_rows() const noexcept { return wanted_rows_; }
  /// Rows this rank sends per exchange (to other ranks and to itself).
  [[nodiscard]] std::size_t sent_rows() const noexcept { return send_rows_.size(); }
  /// Rows that cross between different ranks in one exchange, this rank's
  /// sends only (sum over ranks for the total traffic).
  [[nodiscard]] std::size_t remote_sent_rows() const noexcept { return remote_sent_rows_; }

 private:
  void exchange_bytes(const Comm& comm, std::span<const std::byte> owned, std::size_t row_bytes,
                      std::span<std::byte> out) const;

  std::vector<std::uint64_t> send_counts_;  // rows to each rank
  std::vector<std::uint64_t> recv_counts_;  // rows from each rank
  std::vector<std::uint32_t> send_rows_;    // local rows to send, grouped by rank
  std::size_t wanted_rows_ = 0;
  std::size_t remote_sent_rows_ = 0;
  mutable std::vector<std::byte> send_buffer_;
};

}  // namespace dmf::dist
