#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "dmf/core/error.hpp"

namespace dmf::io::detail {
namespace {

std::string errno_text(int code) { return std::generic_category().message(code); }

/// Why `info` is no file to read ranges of, or nullptr for a regular file:
/// ranks read at arbitrary offsets, which pipes and devices cannot do.
const char* not_regular(const struct stat& info) {
  if (S_ISDIR(info.st_mode)) return "it is a directory, not a file";
  if (!S_ISREG(info.st_mode)) {
    return "not a regular file (pipes and devices cannot be split into ranges)";
  }
  return nullptr;
}

}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
  // Checked before open: opening a FIFO that has no writer blocks for ever.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int code = errno;
    if (code == ENOENT) fail("cannot read {}: no such file", path);
    fail("cannot read {}: {}", path, errno_text(code));
  }
  if (const char* why = not_regular(info)) fail("cannot read {}: {}", path, why);
  // Non-blocking in case the path became a FIFO since the stat; what was
  // opened is checked again, then reads block as usual.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) fail("cannot read {}: {}", path, errno_text(errno));
  std::string problem;
  if (::fstat(fd_, &info) != 0) {
    problem = errno_text(errno);
  } else if (const char* why = not_regular(info)) {
    problem = why;
  } else if (const int flags = ::fcntl(fd_, F_GETFL);
             flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    problem = errno_text(errno);
  }
  if (!problem.empty()) {
    ::close(fd_);
    fd_ = -1;
    fail("cannot read {}: {}", path, problem);
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
