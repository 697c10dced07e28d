// A ratings input read as one text: a file, or a directory of part files
// (Spark and Hive exports: part-00000.csv, ...) read as their concatenation
// (docs/design.md §3). Offsets are global over the parts laid end to end;
// lines never cross a part boundary, so the range rule of io::read_lines
// (a line belongs to the range holding its first byte) holds across files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/io/format.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::io {

/// One file of the input.
struct PartFile {
  std::string path;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;  // global offset of the file's first byte
  /// Where its data starts, in the file's own bytes: after a UTF-8 BOM and,
  /// when the input has a header, the part's own header line.
  std::uint64_t data_begin = 0;
  /// The part's own 1-based number of the line starting at data_begin.
  std::uint64_t data_begin_line = 1;
};

/// The data files of directory `dir`, sorted by name: regular files whose
/// name starts with neither '.' nor '_' and does not end in ".crc" (hidden
/// files, Spark's _SUCCESS, Hadoop checksums). Throws dmf::Error naming the
/// directory when it holds none, or a subdirectory that is not hidden
/// (partitioned exports: dmf reads only the files directly inside).
[[nodiscard]] std::vector<std::string> list_part_files(const std::string& dir);

/// A ratings file or a directory of part files with its detected format.
/// Format::data_begin is global; data_begin_line numbers the lines of all
/// parts in sequence ("virtual" line numbers, see name_line).
class PartFiles {
 public:
  /// Detects the format of `path` (a file, or the first non-empty part of a
  /// directory) and checks every other part against it: the same field
  /// count, a header line skipped where the first part has one. Throws
  /// dmf::Error naming the file (and line) at fault.
  static PartFiles open(const std::string& path, const FormatOptions& options);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const Format& format() const noexcept { return format_; }
  [[nodiscard]] const std::vector<PartFile>& parts() const noexcept { return parts_; }
  [[nodiscard]] bool is_directory() const noexcept { return directory_; }
  /// Total bytes of all parts.
  [[nodiscard]] std::uint64_t size() const noexcept;

 private:
  std::string path_;
  Format format_;
  std::vector<PartFile> parts_;
  bool directory_ = false;
};

/// read_line_blocks over the parts: each block lies in one part, whose
/// index `on_block` also gets (with the global offset of the block).
/// Each part's lines start at its data_begin; its last line counts even
/// without a final '\n'.
void read_line_blocks(
    const PartFiles& input, ByteRange range,
    const std::function<void(std::string_view, std::uint64_t, std::size_t)>& on_block,
    std::size_t max_line = 1U << 20U);

/// read_lines over the parts: `index` counts the lines of `range` over all
/// parts it touches.
std::uint64_t read_lines(const PartFiles& input, ByteRange range,
                         const std::function<void(std::string_view, std::uint64_t)>& on_line,
                         std::size_t max_line = 1U << 20U);

/// Turns the virtual line numbers of an input into "file:line" of the part
/// holding each line. Built from the number of lines of each part; default
/// constructed (or for a file) it names lines as they are.
class LineNames {
 public:
  LineNames() = default;
  /// `part_lines[k]`: lines read of part k (all ranks summed).
  LineNames(const PartFiles& input, const std::vector<std::uint64_t>& part_lines);

  /// "part:line", the part's path and its own line number, when built for
  /// a directory; else "path:line".
  [[nodiscard]] std::string operator()(std::string_view path, std::uint64_t virtual_line) const;
  /// Whether it was built for a directory (lines are named by part).
  [[nodiscard]] bool names_parts() const noexcept { return !paths_.empty(); }

 private:
  std::vector<std::string> paths_;        // empty for a file
  std::vector<std::uint64_t> first_;      // virtual number of each part's first data line
  std::vector<std::uint64_t> own_first_;  // the part's own number of that line
};

}  // namespace dmf::io
