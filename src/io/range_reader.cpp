#include "dmf/io/range_reader.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "dmf/core/error.hpp"
#include "fields.hpp"
#include "input_file.hpp"

namespace dmf::io {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{4} << 20U;
// A range is read in full plus a little, so a small range of a big file does
// not pull a whole buffer; the tail of the last line comes in this step.
constexpr std::uint64_t kMinReadBytes = std::uint64_t{64} << 10U;

[[noreturn]] void line_too_long(const std::string& path, std::uint64_t offset, std::size_t max_line,
                                bool around) {
  fail("cannot read {}: the line {} byte {} is longer than {} bytes (is it a binary file?)", path,
       around ? "around" : "at", offset, max_line);
}

/// A window of the file: bytes [base, base + filled) are in `data`.
class Window {
 public:
  Window(const detail::InputFile& file, std::uint64_t end) : file_(file), end_(end) {}

  /// Moves the window to start at `offset` and fills it.
  void load(std::uint64_t offset) {
    base_ = offset;
    filled_ = 0;
    top_up();
  }

  /// Keeps bytes from `from` (an index into data) on, moved to the front,
  /// and reads more after them; grows the buffer when they fill it.
  void shift_and_top_up(std::size_t from) {
    const std::size_t kept = filled_ - from;
    if (kept == capacity_) {
      const std::size_t capacity = capacity_ * 2;
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
      std::memcpy(bigger.get(), data_.get() + from, kept);
      data_ = std::move(bigger);
      capacity_ = capacity;
    } else if (from > 0) {
      std::memmove(data_.get(), data_.get() + from, kept);
    }
    base_ += from;
    filled_ = kept;
    top_up();
  }

  [[nodiscard]] const char* data() const noexcept { return data_.get(); }
  [[nodiscard]] std::size_t filled() const noexcept { return filled_; }
  [[nodiscard]] std::uint64_t base() const noexcept { return base_; }
  [[nodiscard]] bool at_eof() const noexcept { return eof_; }

 private:
  void top_up() {
    const std::uint64_t next = base_ + filled_;
    const std::uint64_t wanted = std::max(end_ > next ? end_ - next : 0, kMinReadBytes);
    const auto request =
        static_cast<std::size_t>(std::min<std::uint64_t>(capacity_ - filled_, wanted));
    const std::size_t got = file_.read_at(next, data_.get() + filled_, request);
    filled_ += got;
    eof_ = got < request;
  }

  const detail::InputFile& file_;
  std::uint64_t end_;
  std::size_t capacity_ = kBufferBytes;
  std::unique_ptr<char[]> data_ = std::make_unique_for_overwrite<char[]>(kBufferBytes);
  std::uint64_t base_ = 0;
  std::size_t filled_ = 0;
  bool eof_ = false;
};

/// Where the first line starting at or after `begin` starts, or nullopt if
/// none does before the end of the file. A line starts at the beginning of
/// the file (after a UTF-8 BOM, which belongs to no line) and after each '\n'.
std::optional<std::uint64_t> first_line_start(const detail::InputFile& file, Window& window,
                                              std::uint64_t begin, std::size_t max_line) {
  char head[3] = {};
  const bool bom = file.read_at(0, head, 3) == 3 && std::string_view(head, 3) == detail::kUtf8Bom;
  const std::uint64_t file_start = bom ? detail::kUtf8Bom.size() : 0;
  if (begin <= file_start) return file_start;
  // The line holding byte begin-1 started before the range; skip to its end.
  window.load(begin - 1);
  while (true) {
    const void* hit = std::memchr(window.data(), '\n', window.filled());
    if (hit != nullptr) {
      return window.base() +
             static_cast<std::uint64_t>(static_cast<const char*>(hit) - window.data()) + 1;
    }
    if (window.at_eof()) return std::nullopt;
    if (window.base() + window.filled() - begin > max_line)
      line_too_long(file.path(), begin, max_line, true);
    window.shift_and_top_up(window.filled());
  }
}

}  // namespace

ByteRange split_range(std::uint64_t begin, std::uint64_t end, int part, int parts) {
  DMF_CHECK(parts > 0 && part >= 0 && part < parts, "internal: part {} of {} ranges", part, parts);
  DMF_CHECK(begin <= end, "internal: byte range [{}, {}) is reversed", begin, end);
  // begin + length * part / parts without overflowing 64 bits.
  const std::uint64_t length = end - begin;
  const auto n = static_cast<std::uint64_t>(parts);
  const auto at = [&](std::uint64_t k) {
    return begin + (length / n) * k + std::min(k, length % n);
  };
  return {at(static_cast<std::uint64_t>(part)), at(static_cast<std::uint64_t>(part) + 1)};
}

std::uint64_t file_size(const std::string& path) { return detail::InputFile(path).size(); }

void read_line_blocks(const std::string& path, ByteRange range,
                      const std::function<void(std::string_view, std::uint64_t)>& on_block,
                      std::size_t max_line) {
  const detail::InputFile file(path);
  DMF_CHECK(range.begin <= range.end, "internal: byte range [{}, {}) of {} is reversed",
            range.begin, range.end, path);
  const std::uint64_t end = std::min(range.end, file.size());
  if (range.begin >= end) return;

  Window window(file, end);
  const auto start = first_line_start(file, window, range.begin, max_line);
  if (!start || *start >= end) return;

  // Usually the window already holds the start (it was found there).
  std::size_t line_begin = 0;  // index into the window
  if (*start >= window.base() && *start - window.base() <= window.filled()) {
    line_begin = static_cast<std::size_t>(*start - window.base());
  } else {
    window.load(*start);
  }
  while (window.base() + line_begin < end) {
    const char* data = window.data();
    const std::size_t filled = window.filled();
    const std::size_t available = filled - line_begin;
    // Our lines are those starting before `end`: the last one ends at the
    // first '\n' at or after byte end - 1.
    const std::uint64_t limit = end - window.base();  // > line_begin
    std::size_t cut = 0;                              // 0: no whole line in the window yet
    bool last = false;
    if (limit <= filled) {
      const auto from = static_cast<std::size_t>(limit - 1);
      const void* hit = std::memchr(data + from, '\n', filled - from);
      if (hit != nullptr) {
        cut = static_cast<std::size_t>(static_cast<const char*>(hit) - data) + 1;
        last = true;
      }
    }
    if (cut == 0 && available > 0) {
      const void* hit = ::memrchr(data + line_begin, '\n', available);
      if (hit != nullptr) cut = static_cast<std::size_t>(static_cast<const char*>(hit) - data) + 1;
    }
    if (cut == 0 && window.at_eof()) {
      // The file's last line has no '\n' (or nothing is left: it ends with
      // one, or shrank since it was opened).
      if (available > 0)
        on_block(std::string_view(data + line_begin, available), window.base() + line_begin);
      return;
    }
    if (cut == 0) {
      if (available > max_line) line_too_long(path, window.base() + line_begin, max_line, false);
      window.shift_and_top_up(line_begin);
      line_begin = 0;
      continue;
    }
    on_block(std::string_view(data + line_begin, cut - line_begin), window.base() + line_begin);
    if (last) return;
    line_begin = cut;
  }
}

std::uint64_t read_lines(const std::string& path, ByteRange range,
                         const std::function<void(std::string_view, std::uint64_t)>& on_line,
                         std::size_t max_line) {
  std::uint64_t count = 0;
  read_line_blocks(
      path, range,
      [&](std::string_view block, std::uint64_t offset) {
        const char* const base = block.data();
        for_each_line(block, [&](std::string_view line) {
          if (line.size() > max_line) {
            line_too_long(path, offset + static_cast<std::uint64_t>(line.data() - base), max_line,
                          false);
          }
          on_line(line, count++);
        });
      },
      max_line);
  return count;
}

}  // namespace dmf::io
