// Checksums of files (DESIGN.md §6: the manifest holds one for every file
// of a model directory or checkpoint). A file's checksum is the XXH3-64
// digest of each of its 64 MiB chunks: fixed chunks let ranks share the
// work, and the digests do not depend on how many ranks computed them. A
// file of at most one chunk has one digest, XXH3-64 of the whole file.
#pragma once

#include <cstdint>
#include <string>

namespace dmf::io {

inline constexpr std::uint64_t kChecksumChunkBytes = std::uint64_t{64} << 20U;

/// Chunks of a file of `bytes` bytes (an empty file has one, empty, chunk).
[[nodiscard]] constexpr std::uint64_t checksum_chunks(std::uint64_t bytes) noexcept {
  return bytes == 0 ? 1 : (bytes + kChecksumChunkBytes - 1) / kChecksumChunkBytes;
}

/// XXH3-64 of chunk `chunk` of the file at `path`. Errors name the file.
[[nodiscard]] std::uint64_t chunk_digest(const std::string& path, std::uint64_t chunk);

/// 16 lower-case hex digits.
[[nodiscard]] std::string digest_hex(std::uint64_t digest);

}  // namespace dmf::io
