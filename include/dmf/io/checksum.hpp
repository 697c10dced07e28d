// Checksums of files (README "The model directory": the manifest holds one
// for every file of a model directory or checkpoint). A file's checksum is
// the XXH3-64 digest of each of its 64 MiB chunks: fixed chunks let ranks
// share the work, and the digests do not depend on how many ranks computed
// them. A file of at most one chunk has one digest, XXH3-64 of the whole
// file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dmf::io {

inline constexpr std::uint64_t kChecksumChunkBytes = std::uint64_t{64} << 20U;

/// Chunks of a file of `bytes` bytes (an empty file has one, empty, chunk).
[[nodiscard]] constexpr std::uint64_t checksum_chunks(std::uint64_t bytes) noexcept {
  return bytes == 0 ? 1 : (bytes + kChecksumChunkBytes - 1) / kChecksumChunkBytes;
}

/// XXH3-64 of chunk `chunk` of the file at `path`. Errors name the file.
[[nodiscard]] std::uint64_t chunk_digest(const std::string& path, std::uint64_t chunk);

/// XXH3-64 of one chunk computed from its bytes in memory, as they are
/// written, in pieces that may come from several processes in turn: a
/// process saves the state after its piece and the next one loads it.
class ChunkHasher {
 public:
  ChunkHasher();
  ChunkHasher(ChunkHasher&&) noexcept;
  ChunkHasher& operator=(ChunkHasher&&) noexcept;
  ~ChunkHasher();

  void update(std::string_view bytes);
  /// The digest of everything updated so far (the hasher can go on).
  [[nodiscard]] std::uint64_t digest() const;

  /// The size of a saved state.
  [[nodiscard]] static std::size_t state_bytes() noexcept;
  [[nodiscard]] std::vector<std::byte> save() const;
  /// `state` as save() returned it, in this or another process.
  void load(std::span<const std::byte> state);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// 16 lower-case hex digits.
[[nodiscard]] std::string digest_hex(std::uint64_t digest);

}  // namespace dmf::io
