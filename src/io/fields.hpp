// Splitting a line into fields and reading numbers from them, shared by the
// line parser (the hot path) and format detection (which must split the
// first lines exactly as the parser will). Inline: a call per field.
#pragma once

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace dmf::io::detail {

/// The separator value that means "runs of spaces and tabs".
inline constexpr std::string_view kBlankSeparator = " ";
/// The UTF-8 byte order mark some editors put at the start of a file.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

[[nodiscard]] constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

[[nodiscard]] inline std::string_view trim_front(std::string_view text) noexcept {
  std::size_t begin = 0;
  while (begin < text.size() && is_blank(text[begin])) ++begin;
  return text.substr(begin);
}

/// Drops trailing blanks and '\r' (CRLF files, trailing spaces).
[[nodiscard]] inline std::string_view trim_back(std::string_view text) noexcept {
  std::size_t end = text.size();
  while (end > 0 && (is_blank(text[end - 1]) || text[end - 1] == '\r')) --end;
  return text.substr(0, end);
}

/// A field as its value: blanks around it trimmed, then one pair of
/// surrounding double quotes (CSV exports) stripped.
[[nodiscard]] inline std::string_view field_value(std::string_view field) noexcept {
  field = trim_back(trim_front(field));
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    field = field.substr(1, field.size() - 2);
  }
  return field;
}

/// Index of the first `byte` in `text`, or text.size(). Eight bytes per step
/// (the "has zero byte" bit trick on text XOR byte): fields are a few bytes
/// long, so this beats both a byte loop and a call to memchr, which cost a
/// third of the parse time in a profile.
[[nodiscard]] inline std::size_t find_byte(std::string_view text, char byte) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  std::size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    const std::uint64_t pattern = kOnes * static_cast<unsigned char>(byte);
    for (; i + 8 <= text.size(); i += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, 8);
      word ^= pattern;  // a zero byte where text has `byte`
      // The lowest flagged byte is exact; only bytes above it may be false hits.
      const std::uint64_t zeros = (word - kOnes) & ~word & kHighs;
      if (zeros != 0) return i + static_cast<std::size_t>(std::countr_zero(zeros) / 8);
    }
  }
  while (i < text.size() && text[i] != byte) ++i;
  return i;
}

/// Walks the fields of one line. A non-blank separator yields n+1 fields for
/// n separators (so "a,,b" has an empty middle field); the blank separator
/// treats runs of spaces and tabs as one and ignores leading blanks.
class FieldCursor {
 public:
  FieldCursor(std::string_view line, std::string_view separator) noexcept
      : rest_(line), separator_(separator), blanks_(separator == kBlankSeparator) {
    if (blanks_) rest_ = trim_front(rest_);
    done_ = blanks_ && rest_.empty();
  }

  /// The next field, or false when the line has no more.
  bool next(std::string_view& field) noexcept {
    if (done_) return false;
    if (blanks_) return next_blank_separated(field);
    std::size_t at = std::string_view::npos;
    if (separator_.size() == 1) {
      const std::size_t i = find_byte(rest_, separator_[0]);
      if (i < rest_.size()) at = i;
    } else {
      at = rest_.find(separator_);
    }
    if (at == std::string_view::npos) {
      field = rest_;
      done_ = true;
    } else {
      field = rest_.substr(0, at);
      rest_.remove_prefix(at + separator_.size());
    }
    return true;
  }

  /// How many fields are left (for error messages; walks them).
  [[nodiscard]] int count_rest() noexcept {
    int count = 0;
    std::string_view ignored;
    while (next(ignored)) ++count;
    return count;
  }

 private:
  bool next_blank_separated(std::string_view& field) noexcept {
    std::size_t end = 0;
    while (end < rest_.size() && !is_blank(rest_[end])) ++end;
    field = rest_.substr(0, end);
    rest_ = trim_front(rest_.substr(end));
    done_ = rest_.empty();
    return true;
  }

  std::string_view rest_;
  std::string_view separator_;
  bool blanks_;
  bool done_ = false;
};

/// Parses all of `text` as a float (a leading '+' allowed). Leaves `value`
/// alone and returns false unless every byte is consumed; out-of-range
/// values ("1e99") are reported through `out_of_range`.
[[nodiscard]] inline bool parse_float(std::string_view text, float& value,
                                      bool& out_of_range) noexcept {
  out_of_range = false;
  // One digit (star ratings, the usual case) needs no general parse.
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '9') {
    value = static_cast<float>(text[0] - '0');
    return true;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);  // from_chars refuses it
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (result.ptr != end) return false;
  if (result.ec == std::errc::result_out_of_range) {
    out_of_range = true;
    return false;
  }
  return result.ec == std::errc();
}

/// Parses all of `text` as a 64-bit integer (a leading '+' allowed).
[[nodiscard]] inline bool parse_int64(std::string_view text, std::int64_t& value) noexcept {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  return result.ptr == end && result.ec == std::errc();
}

}  // namespace dmf::io::detail
