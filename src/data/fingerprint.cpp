#include "dmf/data/fingerprint.hpp"

#include <array>
#include <bit>

#include <fmt/format.h>

#include "dmf/core/hash.hpp"

namespace dmf::data {
namespace {

/// Salts that keep the three sums apart.
constexpr std::uint64_t kRatingSalt = 0x7261746eULL;
constexpr std::uint64_t kUserSalt = 0x75736572ULL;
constexpr std::uint64_t kItemSalt = 0x6974656dULL;

std::uint64_t token_sum(const IdDirectory& ids, std::uint64_t salt) {
  std::uint64_t sum = 0;
  for (std::uint32_t r = 0; r < ids.local_rows(); ++r) sum += hash_bytes(ids.token(r), salt);
  return sum;
}

}  // namespace

std::string fingerprint(const dist::Comm& comm, const RatingsData& data) {
  const SparseBlock& block = data.by_user;
  std::uint64_t ratings = 0;
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    for (std::uint64_t k = block.offsets[r]; k < block.offsets[r + 1]; ++k) {
      ratings += combine(kRatingSalt, block.first_row + r, block.columns[k],
                         std::bit_cast<std::uint32_t>(block.values[k]));
    }
  }
  std::array<std::uint64_t, 3> sums{ratings, token_sum(data.users, kUserSalt),
                                    token_sum(data.items, kItemSalt)};
  comm.allreduce<std::uint64_t>(sums, dist::Op::kSum);  // unsigned: wraps mod 2^64
  return fmt::format("{:016x}", combine(sums[0], sums[1], sums[2]));
}

}  // namespace dmf::data
