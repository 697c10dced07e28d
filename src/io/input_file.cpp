#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "dmf/core/error.hpp"

namespace dmf::io::detail {
namespace {

std::string errno_text(int code) { return std::generic_category().message(code); }

}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    const int code = errno;
    if (code == ENOENT) fail("cannot read {}: no such file", path);
    fail("cannot read {}: {}", path, errno_text(code));
  }
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int code = errno;
    ::close(fd_);
    fail("cannot read {}: {}", path, errno_text(code));
  }
  // Checked after open because open(O_RDONLY) succeeds on a directory. Pipes
  // and devices are refused too: ranks read the file at arbitrary offsets.
  if (S_ISDIR(info.st_mode)) {
    ::close(fd_);
    fail("cannot read {}: it is a directory, not a file", path);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd_);
    fail("cannot read {}: not a regular file (pipes and devices cannot be split into ranges)",
         path);
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t InputFile::read_at(std::uint64_t offset, char* data, std::size_t count) const {
  std::size_t done = 0;
  while (done < count) {
    const ssize_t got = ::pread(fd_, data + done, count - done, static_cast<off_t>(offset + done));
    if (got == 0) break;  // end of file
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("cannot read {} at byte {}: {}", path_, offset + done, errno_text(errno));
    }
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace dmf::io::detail
