#include "dmf/io/sync.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace dmf::io {

void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace dmf::io
