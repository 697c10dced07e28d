#include "dataset_arrays.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/dist/file_digests.hpp"
#include "dmf/io/checksum.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::data {
namespace {

constexpr std::uint64_t kMinPieceBytes = std::uint64_t{1} << 20U;
constexpr std::uint64_t kMaxPieces = 1024;

/// A file open for reading, closed when it goes.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY);
    DMF_CHECK(fd_ >= 0, "cannot open {}: {}", path_, std::strerror(errno));
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile() { ::close(fd_); }

  /// Reads out.size() bytes from `offset`; an error names the file.
  void read(std::uint64_t offset, std::span<char> out) const {
    for (std::uint64_t done = 0; done < out.size();) {
      const ssize_t got =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (got <= 0) {
        fail("cannot read {}: {}", path_, got < 0 ? std::strerror(errno) : "unexpected end");
      }
      done += static_cast<std::uint64_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

/// One part as read_verified handles it: where its bytes lie in the file.
struct PartLayout {
  std::string path;
  std::uint64_t size = 0;        // of the file
  std::uint64_t data_begin = 0;  // the bytes read into the part's `out`
  std::uint64_t data_end = 0;
  std::uint64_t header = 0;  // bytes before the data
};

/// Checks the array `file` in `dir` against the manifest's "files" entry
/// (its size) and its header (`type`, `total` elements); where this rank's
/// `part` lies in it. Not collective.
PartLayout check_part(const std::string& dir, const nlohmann::json& files, const ArrayPart& part,
                      std::uint64_t total) {
  PartLayout layout;
  layout.path = io::path_in(dir, part.file);
  const std::string name(part.file);
  DMF_CHECK(files.contains(name), "{}: the manifest does not list {}", dir, name);
  const nlohmann::json& entry = files[name];
  DMF_CHECK(entry.contains("bytes") && entry["bytes"].is_number_unsigned() &&
                entry.contains("xxh3_64") && entry["xxh3_64"].is_array(),
            "{}: the manifest's checksum of {} is malformed", dir, name);
  layout.size = io::file_size(layout.path);
  const auto expected = entry["bytes"].get<std::uint64_t>();
  DMF_CHECK(layout.size == expected, "{} has {} bytes where the manifest says {}{}", layout.path,
            layout.size, expected, layout.size < expected ? " (truncated)" : "");
  const std::size_t element = io::npy_element_bytes(part.type);
  layout.header = npy_data_offset(layout.path, part.type, total, element);
  layout.data_begin = layout.header + part.first * element;
  layout.data_end = layout.data_begin + part.out.size();
  return layout;
}

/// Format 1: each part read whole by one thread, then its chunks digested
/// from the bytes read, the state of a chunk handed from rank to rank
/// (dist::FileDigests), and compared with "files".
void read_chunk_verified(const dist::Comm& comm, const nlohmann::json& files,
                         std::span<const ArrayPart> parts, const std::vector<PartLayout>& layouts,
                         int threads) {
  std::vector<std::string> headers(parts.size());
  comm.agree([&] {
    parallel_for(threads, static_cast<std::int64_t>(parts.size()), [&](std::int64_t a) {
      const auto k = static_cast<std::size_t>(a);
      const PartLayout& layout = layouts[k];
      const ReadOnlyFile file(layout.path);
      file.read(layout.data_begin, parts[k].out);
      if (parts[k].arrived) parts[k].arrived(0, parts[k].out.size());
      if (comm.is_root()) {
        headers[k].resize(layout.header);
        file.read(0, headers[k]);
      }
    });
  });
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const PartLayout& layout = layouts[k];
    const auto header_bytes = comm.broadcast<std::uint64_t>(headers[k].size(), 0);
    dist::FileDigests digests(comm);
    digests.add(headers[k], comm.is_root() ? 0 : header_bytes, header_bytes);
    digests.add({parts[k].out.data(), parts[k].out.size()},
                layout.data_begin - layout.header + header_bytes, layout.size);
    const auto computed = digests.finish(layout.size);
    comm.agree([&] {
      const auto& listed = files[std::string(parts[k].file)]["xxh3_64"];
      DMF_CHECK(listed.size() == computed.size(), "{}: the manifest lists {} digests for {} chunks",
                layout.path, listed.size(), computed.size());
      for (std::size_t c = 0; c < computed.size(); ++c) {
        DMF_CHECK(
            listed[c].is_string() && listed[c].get<std::string>() == io::digest_hex(computed[c]),
            "{} is corrupt: its checksum (XXH3-64 of bytes from {}) is {}, the manifest says {}",
            layout.path, c * io::kChecksumChunkBytes, io::digest_hex(computed[c]),
            listed[c].dump());
      }
    });
  }
}

/// One piece of one part: read what of it lies in the part, and, when this
/// rank verifies it, hash it and compare.
struct PieceTask {
  std::size_t part = 0;
  std::uint64_t piece = 0;
  bool verify = false;
};

/// Format 2: every piece overlapping a part read into it, and every piece
/// starting in the bytes this rank answers for verified, on all threads.
/// Rank p answers for [its first data byte, its last) (rank 0, `root`, from
/// the file's start, the rank reading the array's end up to the file's
/// end), so every piece is verified by exactly one rank, with no message
/// between ranks. Not collective.
void read_piece_verified(bool root, const nlohmann::json& pieces, std::span<const ArrayPart> parts,
                         const std::vector<PartLayout>& layouts, std::uint64_t total, int threads) {
  std::vector<std::uint64_t> piece_bytes(parts.size());
  std::vector<PieceTask> tasks;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const PartLayout& layout = layouts[k];
    const std::string name(parts[k].file);
    DMF_CHECK(pieces.contains(name) && pieces[name].contains("bytes") &&
                  pieces[name]["bytes"].is_number_unsigned() &&
                  pieces[name]["bytes"].get<std::uint64_t>() > 0 &&
                  pieces[name].contains("xxh3_64") && pieces[name]["xxh3_64"].is_array(),
              "{}: the manifest's \"pieces\" of {} are missing or malformed", layout.path, name);
    const auto bytes = pieces[name]["bytes"].get<std::uint64_t>();
    const std::uint64_t count = std::max<std::uint64_t>(1, (layout.size + bytes - 1) / bytes);
    DMF_CHECK(pieces[name]["xxh3_64"].size() == count,
              "{}: the manifest lists {} digests for {} pieces", layout.path,
              pieces[name]["xxh3_64"].size(), count);
    piece_bytes[k] = bytes;
    const std::size_t element = io::npy_element_bytes(parts[k].type);
    const bool reads_end = parts[k].first + parts[k].out.size() / element == total;
    const std::uint64_t answer_begin = root ? 0 : layout.data_begin;
    const std::uint64_t answer_end = reads_end ? layout.size : layout.data_end;
    const auto ceil = [&](std::uint64_t at) { return (at + bytes - 1) / bytes; };
    // Pieces overlapping the data read, and those starting in the answered range.
    const std::uint64_t read_first = layout.data_begin / bytes;
    const std::uint64_t read_end =
        layout.data_end > layout.data_begin ? ceil(layout.data_end) : read_first;
    const std::uint64_t verify_first = ceil(answer_begin);
    // An empty file has one, empty, piece.
    const std::uint64_t verify_end =
        layout.size == 0 && answer_begin == 0 ? 1 : std::min(count, ceil(answer_end));
    const std::uint64_t from = std::min(read_first, verify_first);
    const std::uint64_t to = std::max(read_end, verify_end);
    for (std::uint64_t j = from; j < to; ++j) {
      const bool verify = j >= verify_first && j < verify_end;
      if (verify || (j >= read_first && j < read_end)) tasks.push_back({k, j, verify});
    }
  }
  // Then the pieces, on all threads.
  {
    const int workers = std::max(1, threads);
    std::vector<std::vector<char>> scratch(static_cast<std::size_t>(workers));
    std::vector<std::unique_ptr<ReadOnlyFile>> files;
    for (const auto& layout : layouts) files.push_back(std::make_unique<ReadOnlyFile>(layout.path));
    parallel_for_dynamic(
        workers, static_cast<std::int64_t>(tasks.size()), 1, [&](std::int64_t t, int worker) {
          const PieceTask& task = tasks[static_cast<std::size_t>(t)];
          const PartLayout& layout = layouts[task.part];
          const ReadOnlyFile& file = *files[task.part];
          const std::span<char> out = parts[task.part].out;
          const std::uint64_t bytes = piece_bytes[task.part];
          const std::uint64_t begin = task.piece * bytes;
          const std::uint64_t end = std::min(layout.size, begin + bytes);
          // The piece's bytes inside the part, read where they belong.
          const std::uint64_t in_begin = std::clamp(begin, layout.data_begin, layout.data_end);
          const std::uint64_t in_end = std::clamp(end, layout.data_begin, layout.data_end);
          if (in_begin < in_end) {
            file.read(in_begin, out.subspan(in_begin - layout.data_begin, in_end - in_begin));
            const auto& arrived = parts[task.part].arrived;
            if (arrived) arrived(in_begin - layout.data_begin, in_end - layout.data_begin);
          }
          if (!task.verify) return;
          io::ChunkHasher hasher;
          auto& buffer = scratch[static_cast<std::size_t>(worker)];
          // Before the part (the header, on rank 0), inside it, after it.
          const std::uint64_t before_end = std::min(end, layout.data_begin);
          if (begin < before_end) {
            buffer.resize(before_end - begin);
            file.read(begin, buffer);
            hasher.update({buffer.data(), buffer.size()});
          }
          hasher.update({out.data() + (in_begin - layout.data_begin), in_end - in_begin});
          const std::uint64_t after_begin = std::max(begin, layout.data_end);
          if (after_begin < end) {
            buffer.resize(end - after_begin);
            file.read(after_begin, buffer);
            hasher.update({buffer.data(), buffer.size()});
          }
          const auto& listed = pieces[std::string(parts[task.part].file)]["xxh3_64"]
                                     [static_cast<std::size_t>(task.piece)];
          const std::string computed = io::digest_hex(hasher.digest());
          DMF_CHECK(listed.is_string() && listed.get<std::string>() == computed,
                    "{} is corrupt: its checksum (XXH3-64 of bytes from {}) is {}, the manifest "
                    "says {}",
                    layout.path, begin, computed, listed.dump());
        });
  }
}

}  // namespace

std::uint64_t piece_bytes_for(std::uint64_t file_bytes) {
  return std::max(kMinPieceBytes, std::bit_ceil((file_bytes + kMaxPieces - 1) / kMaxPieces));
}

std::uint64_t npy_data_offset(const std::string& path, io::NpyType type, std::uint64_t total,
                              std::size_t element) {
  const io::NpyHeader header = io::read_npy_header(path);
  DMF_CHECK(header.shape.dims == std::vector<std::uint64_t>{total},
            "{}: shape ({}) where ({},) was expected", path, fmt::join(header.shape.dims, ", "),
            total);
  DMF_CHECK(header.type == type, "{}: dtype '{}' where '{}' was expected", path,
            io::npy_descr(header.type), io::npy_descr(type));
  const std::uint64_t need = header.data_offset + total * element;
  DMF_CHECK(io::file_size(path) >= need, "{} is truncated: {} bytes, {} expected", path,
            io::file_size(path), need);
  return header.data_offset;
}

void read_bytes(const std::string& path, std::uint64_t offset, std::span<char> out) {
  ReadOnlyFile(path).read(offset, out);
}

void read_verified(const dist::Comm& comm, const std::string& dir, const nlohmann::json& manifest,
                   std::uint64_t total, std::span<const ArrayPart> parts, int threads) {
  const nlohmann::json& files = manifest["files"];
  const auto layouts_of = [&] {
    std::vector<PartLayout> out;
    for (const auto& part : parts) out.push_back(check_part(dir, files, part, total));
    return out;
  };
  if (manifest.value("format_version", 1) >= 2) {
    // One agreement for the whole read: no rank waits for another before.
    comm.agree([&] {
      read_piece_verified(comm.is_root(), manifest["pieces"], parts, layouts_of(), total, threads);
    });
  } else {
    read_chunk_verified(comm, files, parts, comm.agree(layouts_of), threads);
  }
}

nlohmann::json piece_digests(const dist::Comm& comm, std::string_view header, std::string_view part,
                             std::uint64_t first, std::size_t element, std::uint64_t file_bytes,
                             std::uint64_t piece_bytes) {
  const std::uint64_t bytes = piece_bytes == 0 ? piece_bytes_for(file_bytes) : piece_bytes;
  const auto header_bytes = comm.broadcast<std::uint64_t>(header.size(), 0);
  dist::FileDigests digests(comm, bytes);
  digests.add(comm.is_root() ? header : std::string_view(), comm.is_root() ? 0 : header_bytes,
              header_bytes);
  digests.add(part, header_bytes + first * element, file_bytes);
  nlohmann::json hex = nlohmann::json::array();
  for (const auto digest : digests.finish(file_bytes)) hex.push_back(io::digest_hex(digest));
  return {{"bytes", bytes}, {"xxh3_64", hex}};
}

}  // namespace dmf::data
