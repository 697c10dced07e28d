// Reads the lines of one byte range of a file. Ranks split a file into byte
// ranges; a line belongs to the range that holds its first byte, so every
// line is read by exactly one rank whatever the ranges are.
#pragma once

#include <cstdint>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace dmf::io {

struct ByteRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// Part `part` of `parts` nearly equal ranges of [begin, end).
[[nodiscard]] ByteRange split_range(std::uint64_t begin, std::uint64_t end, int part, int parts);

/// Size of the file in bytes; throws dmf::Error for a missing or unreadable
/// file or a directory.
[[nodiscard]] std::uint64_t file_size(const std::string& path);

/// Reads the lines whose first byte lies in `range` with buffered pread
/// (a few MiB at a time, never the whole range). Lines start at the start of
/// the file and after each '\n'; a UTF-8 byte order mark at the very start
/// belongs to no line, so the first line starts after it (which makes
/// [Format::data_begin, end) work for a file with a BOM and no header).
/// Lines starting before range.end are read to their end, even past it; a
/// final line without '\n' counts. For each line calls
/// `on_line(line, index)`: the line without its '\n' (a '\r' before it is
/// kept; the parser trims it), and its 0-based index among the lines of this
/// range. Returns the number of lines seen. A line longer than `max_line`
/// bytes throws dmf::Error naming the file (a binary file, most likely).
std::uint64_t read_lines(const std::string& path, ByteRange range,
                         const std::function<void(std::string_view, std::uint64_t)>& on_line,
                         std::size_t max_line = 1U << 20U);

}  // namespace dmf::io
