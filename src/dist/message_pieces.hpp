// Cutting messages into pieces that one MPI call can move (docs/design.md
// §3): MPI counts and displacements are int, dmf's sizes are 64-bit.
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dmf::dist::detail {

/// Calls move(first byte, bytes) for each piece of at most `limit` bytes of
/// a message of `bytes` bytes, in order; none for an empty message.
template <class Move>
void for_each_piece(std::size_t bytes, std::size_t limit, Move&& move) {
  for (std::size_t begin = 0; begin < bytes; begin += limit) {
    move(begin, static_cast<int>(std::min(limit, bytes - begin)));  // limit <= kMaxMessageBytes
  }
}

/// As for_each_piece, but one empty piece for an empty message: for calls
/// whose peers expect a message whatever its size.
template <class Move>
void for_each_piece_or_empty(std::size_t bytes, std::size_t limit, Move&& move) {
  if (bytes == 0) {
    move(0, 0);
    return;
  }
  for_each_piece(bytes, limit, std::forward<Move>(move));
}

/// True when one MPI call with element counts `counts` (int) and their
/// displacements (int, in elements) moves no message over `limit` bytes.
/// An element larger than the limit goes in pieces even when none is sent.
inline bool fits_one_call(const std::vector<std::uint64_t>& counts, std::size_t element_size,
                          std::size_t limit) {
  if (element_size == 0 || element_size > limit) return false;
  const std::uint64_t most = limit / element_size;
  std::uint64_t offset = 0;
  for (const auto c : counts) {
    if (c > most) return false;
    offset += c;  // no wrap: each term is at most 2^30
    if (offset > static_cast<std::uint64_t>(INT_MAX)) return false;
  }
  return true;
}

/// Where each rank's part begins, in bytes.
inline std::vector<std::size_t> byte_offsets(const std::vector<std::uint64_t>& counts,
                                             std::size_t element_size) {
  std::vector<std::size_t> offsets(counts.size());
  std::size_t offset = 0;
  for (std::size_t p = 0; p < counts.size(); ++p) {
    offsets[p] = offset;
    offset += static_cast<std::size_t>(counts[p]) * element_size;  // total() checked the sum
  }
  return offsets;
}

}  // namespace dmf::dist::detail
