// A read-only file opened for positioned reads (pread), shared by format
// detection and the range reader so both refuse the same files with the
// same sentences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dmf::io::detail {

class InputFile {
 public:
  /// Opens `path`; throws dmf::Error naming it when it is missing, a
  /// directory, not a regular file, or not readable.
  explicit InputFile(const std::string& path);
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// Reads up to `count` bytes at `offset` into `data`; returns fewer only
  /// at the end of the file. Throws dmf::Error on an I/O error.
  std::size_t read_at(std::uint64_t offset, char* data, std::size_t count) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace dmf::io::detail
