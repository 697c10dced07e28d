#include "dmf/dist/row_exchange.hpp"

#include <algorithm>
#include <cstring>

namespace dmf::dist {

RowExchange::RowExchange(const Comm& comm, std::span<const std::uint32_t> boundaries,
                         std::span<const std::uint32_t> wanted)
    : wanted_rows_(wanted.size()) {
  const auto parts = static_cast<std::size_t>(comm.size());
  DMF_CHECK(boundaries.size() == parts + 1, "RowExchange: {} boundaries for {} ranks",
            boundaries.size(), parts);
  DMF_CHECK(std::ranges::is_sorted(wanted) &&
                std::ranges::adjacent_find(wanted) == wanted.end(),
            "RowExchange: wanted rows must be ascending and distinct");
  DMF_CHECK(wanted.empty() || wanted.back() < boundaries.back(),
            "RowExchange: row {} wanted but only {} rows exist", wanted.back(), boundaries.back());

  // Wanted rows are ascending and ranks own ascending ranges, so the rows
  // from each owner are one consecutive run of `wanted`.
  recv_counts_.assign(parts, 0);
  for (std::size_t p = 0; p < parts; ++p) {
    const auto first = std::ranges::lower_bound(wanted, boundaries[p]);
    const auto last = std::ranges::lower_bound(wanted, boundaries[p + 1]);
    recv_counts_[p] = static_cast<std::uint64_t>(last - first);
  }
  std::vector<std::size_t> request_counts(recv_counts_.begin(), recv_counts_.end());
  std::vector<std::size_t> asked;
  send_rows_ = comm.alltoallv<std::uint32_t>(wanted, request_counts, &asked);
  send_counts_.assign(asked.begin(), asked.end());
  const std::uint32_t first_owned = boundaries[static_cast<std::size_t>(comm.rank())];
  for (auto& row : send_rows_) row -= first_owned;
  remote_sent_rows_ = send_rows_.size() - send_counts_[static_cast<std::size_t>(comm.rank())];
}

void RowExchange::exchange_bytes(const Comm& comm, std::span<const std::byte> owned,
                                 std::size_t row_bytes, std::span<std::byte> out) const {
  DMF_CHECK(out.size() == wanted_rows_ * row_bytes,
            "RowExchange: output holds {} bytes, {} rows of {} bytes wanted", out.size(),
            wanted_rows_, row_bytes);
  send_buffer_.resize(send_rows_.size() * row_bytes);
  for (std::size_t k = 0; k < send_rows_.size(); ++k) {
    const std::size_t at = static_cast<std::size_t>(send_rows_[k]) * row_bytes;
    DMF_CHECK(at + row_bytes <= owned.size(), "RowExchange: row {} asked, {} bytes owned",
              send_rows_[k], owned.size());
    std::memcpy(send_buffer_.data() + k * row_bytes, owned.data() + at, row_bytes);
  }
  comm.alltoallv_bytes(send_buffer_, send_counts_, recv_counts_, row_bytes, out);
}

}  // namespace dmf::dist
