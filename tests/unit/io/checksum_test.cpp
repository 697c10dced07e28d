// io::ChunkHasher (XXH3-64 compiled into dmf) against dmf::hash_bytes (the
// system's xxHash library) and XXH3's published digest of no bytes: the
// checksums of files written by any dmf build stay valid.
#include "dmf/io/checksum.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dmf/core/hash.hpp"
#include "dmf/core/rng.hpp"

namespace dmf::io {
namespace {

TEST(ChunkHasher, DigestsAreXxh3WhateverThePiecesFedToIt) {
  EXPECT_EQ(ChunkHasher().digest(), 0x2D06800538D394C2ULL);  // XXH3-64 of no bytes
  Rng rng(3);
  // Lengths around XXH3's internal thresholds (16, 128, 240 bytes, its
  // 1 KiB stripes and 256 KiB state buffer) and a few MiB.
  for (const std::size_t length : {1UL, 3UL, 16UL, 17UL, 128UL, 129UL, 240UL, 241UL, 1024UL, 4099UL,
                                   (256UL << 10U) + 7UL, (3UL << 20U) + 5UL}) {
    std::string bytes(length, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng.below(256));
    ChunkHasher whole;
    whole.update(bytes);
    EXPECT_EQ(whole.digest(), hash_bytes(bytes)) << length;
    // Fed in uneven pieces, and carried over a save and load as between ranks.
    ChunkHasher first;
    const std::size_t cut = length / 3;
    first.update(std::string_view(bytes).substr(0, cut));
    ChunkHasher second;
    second.load(first.save());
    for (std::size_t at = cut; at < length; at += 1000) {
      second.update(std::string_view(bytes).substr(at, 1000));
    }
    EXPECT_EQ(second.digest(), hash_bytes(bytes)) << length;
  }
}

}  // namespace
}  // namespace dmf::io
