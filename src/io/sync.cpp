#include "dmf/io/sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dmf/core/error.hpp"

namespace dmf::io {

void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot flush {} to disk: {}", path, std::strerror(errno));
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("cannot flush {} to disk: {}", path, std::strerror(error));
  }
  ::close(fd);
}

}  // namespace dmf::io
