#include "dmf/io/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "dmf/core/error.hpp"

namespace dmf::io {
namespace {

int open_or_fail(const std::string& path, int flags, const std::string& name) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0666);
  if (fd < 0) fail("cannot create {}: {}", name, std::strerror(errno));
  return fd;
}

}  // namespace

OutputFile OutputFile::create(const std::string& path, std::string name) {
  return {open_or_fail(path, O_WRONLY | O_CREAT | O_EXCL, name), std::move(name)};
}

OutputFile OutputFile::open(const std::string& path, std::string name) {
  return {open_or_fail(path, O_WRONLY, name), std::move(name)};
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::write_at(std::uint64_t offset, std::string_view bytes) {
  DMF_CHECK(fd_ >= 0, "{} is closed", name_);
  // pwrite may write less than asked (a full disk, a file size limit, a
  // signal): go on from there until done or it says why it cannot.
  while (!bytes.empty()) {
    const ssize_t wrote = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) fail("cannot write {}: {}", name_, std::strerror(errno));
    if (wrote == 0) fail("cannot write {}: the system wrote nothing at byte {}", name_, offset);
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
    offset += static_cast<std::uint64_t>(wrote);
  }
}

void OutputFile::sync_and_close() {
  DMF_CHECK(fd_ >= 0, "{} is closed", name_);
  const int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("cannot write {}: flushing it to disk failed: {}", name_, std::strerror(error));
  }
  // Network file systems report some write errors only here.
  if (::close(fd) != 0) fail("cannot write {}: {}", name_, std::strerror(errno));
}

void write_new_file(const std::string& path, std::string_view bytes) {
  OutputFile file = OutputFile::create(path, path);
  file.write_at(0, bytes);
  file.sync_and_close();
}

}  // namespace dmf::io
