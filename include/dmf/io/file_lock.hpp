#pragma once

#include <string>

namespace dmf::io {

/// An exclusive advisory lock (flock) on a file, held while the object
/// lives. The kernel releases it when the process ends, however it ends, so
/// a killed run never leaves its directory locked.
class FileLock {
 public:
  enum class Outcome {
    kTaken,        // this process holds the lock
    kHeld,         // another process holds it
    kUnsupported,  // the file system has no such locks (some network ones)
  };

  FileLock() = default;
  /// Tries once, without waiting, creating `path` when missing. Throws
  /// dmf::Error when the file cannot be opened.
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;

  [[nodiscard]] Outcome outcome() const noexcept { return outcome_; }

 private:
  int fd_ = -1;
  Outcome outcome_ = Outcome::kUnsupported;
};

}  // namespace dmf::io
