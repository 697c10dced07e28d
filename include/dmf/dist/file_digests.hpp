// The checksum of a file that every rank writes a part of (io/checksum.hpp:
// XXH3-64 of each 64 MiB chunk), computed from the bytes in memory as they
// are written, not read back from the disk: what the manifest records is
// what dmf meant to write, so a write the disk cut short or changed is
// caught by the next read.
//
// A chunk may span the parts of several ranks. Each rank hashes the chunks
// that start in its part on its own; the state of a chunk that goes on in
// the next rank's part is sent there (a few hundred bytes). Only ranks whose
// part lies inside one chunk wait for their predecessor, so the hashing is
// as parallel as the writing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/io/checksum.hpp"

namespace dmf::dist {

class FileDigests {
 public:
  /// `chunk_bytes` other than io::kChecksumChunkBytes: a data set's pieces
  /// (data/dataset_arrays.hpp) and tests.
  explicit FileDigests(const Comm& comm, std::uint64_t chunk_bytes = io::kChecksumChunkBytes)
      : comm_(comm), chunk_(chunk_bytes) {}

  /// Collective: every rank's `part`, which lands at byte `offset` of the
  /// file, parts in rank order after those of earlier calls; the file has
  /// `after` bytes then.
  void add(std::string_view part, std::uint64_t offset, std::uint64_t after);

  /// Collective: the digest of every chunk of the file, now of `size` bytes,
  /// on every rank (one, of nothing, for an empty file).
  [[nodiscard]] std::vector<std::uint64_t> finish(std::uint64_t size);

 private:
  /// Passes the open chunk's state on to the next rank, or keeps it as the
  /// carry when this is the last rank.
  void hand_on(io::ChunkHasher&& state);

  Comm comm_;
  std::uint64_t chunk_;
  std::optional<io::ChunkHasher> carry_;  // the file's last, open chunk
  struct Digest {
    std::uint64_t chunk = 0;
    std::uint64_t digest = 0;
  };
  std::vector<Digest> done_;  // of the chunks this rank completed
};

}  // namespace dmf::dist
