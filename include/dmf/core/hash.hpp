// Stable 64-bit hashing of bytes and integers. Used wherever a result must be
// a pure function of an ID (initial factors, split membership, partitioning),
// so these values must never change between versions.
#pragma once

#include <cstdint>
#include <string_view>

namespace dmf {

/// XXH3-64 of `bytes` with `seed`.
[[nodiscard]] std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 0) noexcept;

/// The SplitMix64 finalizer: a bijective mix of a 64-bit word.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

/// Combines words into one key; order matters: combine(a, b) != combine(b, a).
[[nodiscard]] constexpr std::uint64_t combine(std::uint64_t a, std::uint64_t b) noexcept {
  return mix64(a ^ mix64(b + 0x632be59bd9b4e019ULL));
}

template <class... Rest>
[[nodiscard]] constexpr std::uint64_t combine(std::uint64_t a, std::uint64_t b,
                                              Rest... rest) noexcept {
  return combine(combine(a, b), static_cast<std::uint64_t>(rest)...);
}

/// A uniform double in [0, 1) from the top 53 bits of a hash.
[[nodiscard]] constexpr double unit_interval(std::uint64_t h) noexcept {
  return static_cast<double>(h >> 11U) * 0x1.0p-53;
}

}  // namespace dmf
