// Writing a file with every byte accounted for: each write's count is
// checked (a short write is continued, and the error that ends it reported),
// and flushing and closing report their errors too, naming the file and the
// reason (No space left on device, File too large, ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dmf::io {

class OutputFile {
 public:
  /// Creates `path`, which must not exist. `name` is what errors call the
  /// file (for a temporary file: the name it will have).
  static OutputFile create(const std::string& path, std::string name);
  /// Opens the existing `path` for writing at offsets (another process
  /// created it).
  static OutputFile open(const std::string& path, std::string name);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  /// Closes the file if still open, without checking: an error is on its way.
  ~OutputFile();

  /// Writes all of `bytes` at byte `offset`.
  void write_at(std::uint64_t offset, std::string_view bytes);
  /// Flushes the file to stable storage and closes it.
  void sync_and_close();

 private:
  OutputFile(int fd, std::string name) noexcept : fd_(fd), name_(std::move(name)) {}

  int fd_ = -1;
  std::string name_;
};

/// Creates `path` (which must not exist) holding `bytes`, flushed to stable
/// storage. Errors name `path` and the reason.
void write_new_file(const std::string& path, std::string_view bytes);

}  // namespace dmf::io
