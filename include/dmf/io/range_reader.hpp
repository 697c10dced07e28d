// Reads the lines of one byte range of a file. Ranks split a file into byte
// ranges; a line belongs to the range that holds its first byte, so every
// line is read by exactly one rank whatever the ranges are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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

/// The same lines as read_lines, handed over a few MiB at a time: each call
/// of `on_block` gets whole lines, each ending with '\n' except perhaps the
/// last line of the file. For loops that split lines themselves
/// (for_each_line): no call per line. `on_block` also gets the file offset
/// of the block's first byte. Lines are not checked against `max_line`
/// unless they do not fit in a buffer (read_lines checks every line).
void read_line_blocks(const std::string& path, ByteRange range,
                      const std::function<void(std::string_view, std::uint64_t)>& on_block,
                      std::size_t max_line = 1U << 20U);

/// Calls on_line(line) for each line of a block from read_line_blocks, the
/// line without its '\n'; returns the number of lines.
template <class OnLine>
std::uint64_t for_each_line(std::string_view block, OnLine&& on_line) {
  std::uint64_t count = 0;
  const char* at = block.data();
  const char* const end = at + block.size();
  while (at < end) {
    const auto* newline =
        static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
    const char* line_end = newline == nullptr ? end : newline;
    on_line(std::string_view(at, static_cast<std::size_t>(line_end - at)));
    ++count;
    at = newline == nullptr ? end : newline + 1;
  }
  return count;
}

}  // namespace dmf::io
