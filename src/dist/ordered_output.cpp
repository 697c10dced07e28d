#include "dmf/dist/ordered_output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace dmf::dist {
namespace {

/// Bytes rank 0 takes from one rank at a time: what it holds at most.
constexpr std::uint64_t kChunkBytes = 64ULL << 20U;

std::string stdout_error() {
  return fmt::format("cannot write to standard output: {}",
                     errno != 0 ? std::strerror(errno) : "write error");
}

}  // namespace

OrderedOutput::OrderedOutput(const Comm& comm, std::string path, bool overwrite)
    : comm_(comm), path_(std::move(path)) {
  if (!is_stdout(path_)) file_ = std::make_unique<OrderedFileWriter>(comm_, path_, overwrite);
}

OrderedOutput::~OrderedOutput() = default;

std::uint64_t OrderedOutput::size() const noexcept { return file_ ? file_->size() : stdout_bytes_; }

void OrderedOutput::append(std::string_view part) {
  if (file_) {
    file_->append(part);
    return;
  }
  // Rank by rank, in chunks, so that rank 0 never holds more than one chunk
  // of another rank's rows.
  const std::vector<std::uint64_t> sizes = comm_.allgather<std::uint64_t>(part.size());
  std::optional<std::string> error;
  const auto write = [&](std::string_view bytes) {
    errno = 0;
    if (!error && !bytes.empty() &&
        std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
      error = stdout_error();
    }
  };
  if (comm_.is_root()) write(part);
  for (int p = 1; p < comm_.size(); ++p) {
    const std::uint64_t bytes = sizes[static_cast<std::size_t>(p)];
    for (std::uint64_t begin = 0; begin < bytes; begin += kChunkBytes) {
      const std::uint64_t count = std::min(kChunkBytes, bytes - begin);
      const std::string_view mine =
          comm_.rank() == p ? part.substr(begin, count) : std::string_view();
      const std::vector<char> chunk = comm_.gatherv<char>(std::span(mine.data(), mine.size()), 0);
      if (comm_.is_root()) write({chunk.data(), chunk.size()});
    }
  }
  comm_.raise_if_any(error);
  for (const auto s : sizes) stdout_bytes_ += s;
}

void OrderedOutput::commit() {
  if (file_) {
    file_->commit();
    return;
  }
  std::optional<std::string> error;
  if (comm_.is_root()) {
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) error = stdout_error();
  }
  comm_.raise_if_any(error);
}

}  // namespace dmf::dist
