#include "dmf/core/hash.hpp"

// Inlined, as in io/checksum.cpp: XXH3 built with the project's flags,
// and no call through the shared library for every ID token interned.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dmf {

std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

}  // namespace dmf
