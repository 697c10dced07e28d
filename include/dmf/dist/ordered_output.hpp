// Where a command's rows go: a file that every rank writes together
// (OrderedFileWriter), or for the path "-", standard output, which rank 0
// writes with every rank's parts in the order the file would have had.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dmf/dist/comm.hpp"
#include "dmf/dist/ordered_file_writer.hpp"

namespace dmf::dist {

/// The path that names standard output in every --out option.
inline constexpr std::string_view kStdoutPath = "-";

[[nodiscard]] inline bool is_stdout(std::string_view path) noexcept { return path == kStdoutPath; }

class OrderedOutput {
 public:
  /// Collective. For a file, see OrderedFileWriter; standard output is
  /// always there to write to.
  OrderedOutput(const Comm& comm, std::string path, bool overwrite);
  OrderedOutput(const OrderedOutput&) = delete;
  OrderedOutput& operator=(const OrderedOutput&) = delete;
  ~OrderedOutput();

  /// Collective: appends every rank's `part` after everything written so
  /// far, rank 0's part first. A failed write to standard output (a full
  /// disk, a closed pipe) is an error on every rank.
  void append(std::string_view part);

  /// Collective: the file is flushed and moved into place; standard output
  /// is flushed.
  void commit();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] bool to_stdout() const noexcept { return file_ == nullptr; }
  /// Bytes written so far (the same on every rank).
  [[nodiscard]] std::uint64_t size() const noexcept;

 private:
  Comm comm_;
  std::string path_;
  std::unique_ptr<OrderedFileWriter> file_;  // null: standard output
  std::uint64_t stdout_bytes_ = 0;
};

}  // namespace dmf::dist
