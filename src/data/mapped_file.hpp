// A file mapped read-only into memory, for an array a load only checks and
// hashes (a data set's rows.npy): read where the page cache holds it, with
// no copy and no fresh page to fault in per 4 KiB, which reading it into an
// array cost.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "dmf/core/error.hpp"

namespace dmf::data {

class MappedFile {
 public:
  /// Maps all of `path` (`bytes` long). Errors name the file.
  MappedFile(const std::string& path, std::size_t bytes) : bytes_(bytes) {
    if (bytes_ == 0) return;
    const int fd = ::open(path.c_str(), O_RDONLY);
    DMF_CHECK(fd >= 0, "cannot open {}: {}", path, std::strerror(errno));
    // MAP_POPULATE: the page tables filled in one call, not a fault per page.
    void* at = ::mmap(nullptr, bytes_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    const int error = errno;
    ::close(fd);
    DMF_CHECK(at != MAP_FAILED, "cannot read {}: {}", path, std::strerror(error));
    data_ = static_cast<const char*>(at);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), bytes_);
  }

  /// Bytes [offset, offset + size) of the file.
  [[nodiscard]] std::string_view bytes(std::size_t offset, std::size_t size) const {
    return {data_ + offset, size};
  }

 private:
  const char* data_ = nullptr;
  std::size_t bytes_;
};

}  // namespace dmf::data
