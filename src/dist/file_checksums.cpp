#include "dmf/dist/file_checksums.hpp"

#include <filesystem>

#include "dmf/core/error.hpp"
#include "dmf/io/checksum.hpp"

namespace dmf::dist {
namespace {

namespace fs = std::filesystem;

/// One chunk of one file.
struct Chunk {
  std::size_t file = 0;
  std::uint64_t index = 0;
};

std::vector<Chunk> chunks_of(const std::vector<std::uint64_t>& sizes) {
  std::vector<Chunk> chunks;
  for (std::size_t f = 0; f < sizes.size(); ++f) {
    for (std::uint64_t c = 0; c < io::checksum_chunks(sizes[f]); ++c) chunks.push_back({f, c});
  }
  return chunks;
}

/// Collective: the digest of every chunk, each computed by one rank.
std::vector<std::uint64_t> digests(const Comm& comm, const std::vector<std::string>& paths,
                                   const std::vector<Chunk>& chunks) {
  std::vector<std::uint64_t> out(chunks.size(), 0);
  comm.agree([&] {
    for (std::size_t c = static_cast<std::size_t>(comm.rank()); c < chunks.size();
         c += static_cast<std::size_t>(comm.size())) {
      out[c] = io::chunk_digest(paths[chunks[c].file], chunks[c].index);
    }
  });
  // Every entry is zero but on the rank that computed it.
  comm.allreduce(std::span<std::uint64_t>(out), Op::kSum);
  return out;
}

std::string path_in(const std::string& dir, const std::string& file) {
  return (fs::path(dir) / file).string();
}

}  // namespace

void verify_files(const Comm& comm, const std::string& dir, const nlohmann::json& checksums) {
  std::vector<std::string> files;
  std::vector<std::string> paths;
  std::vector<std::uint64_t> sizes;
  comm.agree([&] {
    DMF_CHECK(checksums.is_object(), "{}: the manifest's \"files\" is not an object", dir);
    for (const auto& [file, entry] : checksums.items()) {
      DMF_CHECK(entry.contains("bytes") && entry["bytes"].is_number_unsigned() &&
                    entry.contains("xxh3_64") && entry["xxh3_64"].is_array(),
                "{}: the manifest's checksum of {} is malformed", dir, file);
      const std::string path = path_in(dir, file);
      std::error_code ec;
      const std::uint64_t size = fs::file_size(path, ec);
      DMF_CHECK(!ec, "{} is missing: {}", path, ec.message());
      const auto expected = entry["bytes"].get<std::uint64_t>();
      DMF_CHECK(size == expected, "{} has {} bytes where the manifest says {}{}", path, size,
                expected, size < expected ? " (truncated)" : "");
      DMF_CHECK(entry["xxh3_64"].size() == io::checksum_chunks(size),
                "{}: the manifest lists {} digests for {} chunks", path, entry["xxh3_64"].size(),
                io::checksum_chunks(size));
      files.push_back(file);
      paths.push_back(path);
      sizes.push_back(size);
    }
  });
  const auto chunks = chunks_of(sizes);
  const auto all = digests(comm, paths, chunks);
  comm.agree([&] {
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const auto& listed = checksums[files[chunks[c].file]]["xxh3_64"][chunks[c].index];
      DMF_CHECK(listed.is_string() && listed.get<std::string>() == io::digest_hex(all[c]),
                "{} is corrupt: its checksum (XXH3-64 of bytes from {}) is {}, the manifest "
                "says {}",
                paths[chunks[c].file], chunks[c].index * io::kChecksumChunkBytes,
                io::digest_hex(all[c]), listed.dump());
    }
  });
}

}  // namespace dmf::dist
