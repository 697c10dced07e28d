#include "dmf/io/checksum.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
// Inlined, so XXH3 is compiled with the project's flags (-march=native:
// AVX2 or AVX-512) rather than the system library's baseline x86-64 (SSE2):
// 35-58 GB/s against 12-13 GB/s on the benchmark machine, the same digests.
// Every file checksum and a data set's pieces go through here (a 10M-rating
// data set load hashes 160 MB, docs/design.md §3). Inlining also exposes the
// layout of XXH3_state_t, which ChunkHasher copies between ranks.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dmf/core/error.hpp"

namespace dmf::io {

std::uint64_t chunk_digest(const std::string& path, std::uint64_t chunk) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open {}: {}", path, std::strerror(errno));
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  constexpr std::size_t kBuffer = std::size_t{1} << 20U;
  std::vector<char> buffer(kBuffer);
  std::uint64_t offset = chunk * kChecksumChunkBytes;
  std::uint64_t left = kChecksumChunkBytes;
  while (left > 0) {
    const ssize_t got = ::pread(fd, buffer.data(), std::min<std::uint64_t>(left, kBuffer),
                                static_cast<off_t>(offset));
    if (got < 0) {
      const int error = errno;
      XXH3_freeState(state);
      ::close(fd);
      fail("cannot read {}: {}", path, std::strerror(error));
    }
    if (got == 0) break;  // end of file
    XXH3_64bits_update(state, buffer.data(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
    left -= static_cast<std::uint64_t>(got);
  }
  const std::uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  ::close(fd);
  return digest;
}

struct ChunkHasher::State {
  XXH3_state_t xxh3;
};

ChunkHasher::ChunkHasher() : state_(std::make_unique<State>()) { XXH3_64bits_reset(&state_->xxh3); }

ChunkHasher::ChunkHasher(ChunkHasher&&) noexcept = default;
ChunkHasher& ChunkHasher::operator=(ChunkHasher&&) noexcept = default;
ChunkHasher::~ChunkHasher() = default;

void ChunkHasher::update(std::string_view bytes) {
  XXH3_64bits_update(&state_->xxh3, bytes.data(), bytes.size());
}

std::uint64_t ChunkHasher::digest() const { return XXH3_64bits_digest(&state_->xxh3); }

std::size_t ChunkHasher::state_bytes() noexcept { return sizeof(XXH3_state_t); }

std::vector<std::byte> ChunkHasher::save() const {
  std::vector<std::byte> out(sizeof(XXH3_state_t));
  std::memcpy(out.data(), &state_->xxh3, out.size());
  return out;
}

void ChunkHasher::load(std::span<const std::byte> state) {
  DMF_CHECK(state.size() == sizeof(XXH3_state_t), "a checksum state of {} bytes, not {}",
            state.size(), sizeof(XXH3_state_t));
  // The state's one pointer is to the library's default secret, which may
  // sit at another address in the process that saved it: keep ours.
  const unsigned char* const secret = state_->xxh3.extSecret;
  std::memcpy(&state_->xxh3, state.data(), state.size());
  state_->xxh3.extSecret = secret;
}

std::string digest_hex(std::uint64_t digest) { return fmt::format("{:016x}", digest); }

}  // namespace dmf::io
