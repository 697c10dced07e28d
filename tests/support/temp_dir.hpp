// Scratch files for tests: a fresh directory per test, removed afterwards.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "dmf/dist/comm.hpp"

namespace dmf::test {

/// A new empty directory under the system temp dir, removed on destruction.
/// With a communicator, rank 0 creates it and every rank gets its path.
class TempDir {
 public:
  TempDir();
  explicit TempDir(const dist::Comm& comm);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// Path of `name` inside the directory.
  [[nodiscard]] std::string file(std::string_view name) const;
  /// Writes `content` to `name` (rank 0 only when shared) and returns its path.
  std::string write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
  bool owner_ = true;
  const dist::Comm* comm_ = nullptr;
};

/// The whole content of a file.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace dmf::test
