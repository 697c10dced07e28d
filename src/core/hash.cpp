#include "dmf/core/hash.hpp"

#include <xxhash.h>

namespace dmf {

std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

}  // namespace dmf
