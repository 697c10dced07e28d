// Reading a data set's arrays (data/dataset_dir.hpp, docs/design.md §3):
// ranges of 1-D .npy arrays read with pread straight into the vectors that
// keep them, checked against the manifest (size, header) and their
// checksums, every error naming the file.
//
// Format 2 lists, for each rating array, the XXH3-64 digests of its pieces
// ("pieces": one digest per piece_bytes of the file, header included). Rank
// p verifies the pieces that start in the bytes it reads, reading the rest
// of its last piece (and, on rank 0, the header) besides: no rank waits for
// another, and threads share the pieces. Format 1 has only the 64 MiB chunks
// of "files", whose state is handed from rank to rank (dist::FileDigests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/dist/comm.hpp"
#include "dmf/io/npy.hpp"

namespace dmf::data {

/// The piece size format 2 uses for a file of `file_bytes`: 1 MiB, or more
/// for files over 1 GiB, so that no file has more than about 1024 pieces
/// (each rank reads at most one piece past its range to verify it).
[[nodiscard]] std::uint64_t piece_bytes_for(std::uint64_t file_bytes);

/// Where the data of the 1-D array at `path` start, after checking that it
/// has `type` and `total` elements of `element` bytes. Errors name the file.
[[nodiscard]] std::uint64_t npy_data_offset(const std::string& path, io::NpyType type,
                                            std::uint64_t total, std::size_t element);

/// Reads out.size() bytes of `path` from `offset` into `out`. Errors name the file.
void read_bytes(const std::string& path, std::uint64_t offset, std::span<char> out);

/// Elements [first, first + count) of the 1-D array at `path`, which must
/// have `type` and `total` elements. Errors name the file. Not collective.
template <class T>
std::vector<T> read_elements(const std::string& path, io::NpyType type, std::uint64_t total,
                             std::uint64_t first, std::uint64_t count) {
  const std::uint64_t offset = npy_data_offset(path, type, total, sizeof(T));
  std::vector<T> values(count);
  read_bytes(path, offset + first * sizeof(T),
             {reinterpret_cast<char*>(values.data()), count * sizeof(T)});
  return values;
}

/// This rank's range of one rating array: elements [first, first +
/// out.size() / element) of `file`, read into `out`. `arrived`, when set, is
/// told each range [begin, end) of out's bytes as soon as they are read, on
/// the thread that read them (any thread, any order; the ranges cover `out`
/// once), so that it can check them while they are in cache.
struct ArrayPart {
  std::string_view file;  // in the data set directory
  io::NpyType type;
  std::uint64_t first = 0;
  std::span<char> out;
  std::function<void(std::uint64_t begin, std::uint64_t end)> arrived;
};

/// Collective: reads every rank's `parts` of the rating arrays of the data
/// set `dir` (each of `total` elements) and verifies them against
/// `manifest` ("files" for the size, "pieces" in format 2, else the chunks
/// of "files"): one error on every rank naming the first file at fault.
/// Every rank passes the same files in the same order. `threads` read and
/// hash pieces side by side.
void read_verified(const dist::Comm& comm, const std::string& dir, const nlohmann::json& manifest,
                   std::uint64_t total, std::span<const ArrayPart> parts, int threads);

/// Collective: the "pieces" entry of a rating array of `file_bytes` that
/// every rank writes a part of: its `header` (rank 0's counts), then each
/// rank's `part`, which starts at element `first` of elements of `element`
/// bytes, the ranks' parts following each other. `piece_bytes` 0:
/// piece_bytes_for.
[[nodiscard]] nlohmann::json piece_digests(const dist::Comm& comm, std::string_view header,
                                           std::string_view part, std::uint64_t first,
                                           std::size_t element, std::uint64_t file_bytes,
                                           std::uint64_t piece_bytes);

}  // namespace dmf::data
