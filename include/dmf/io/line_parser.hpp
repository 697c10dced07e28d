// Splits one data line into a rating. The hot path of every load: no
// allocation, no exceptions on success.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dmf/io/format.hpp"

namespace dmf::io {

/// The fields of one parsed line; the IDs point into the line's bytes.
struct ParsedLine {
  std::string_view user;
  std::string_view item;
  float rating = 1.0F;
  std::int64_t time = 0;
};

/// Inclusive bounds on valid ratings (--rating-range MIN:MAX).
struct RatingRange {
  double min = 0.0;
  double max = 0.0;
};

/// What is wrong with a line; a short phrase ("missing field 'rating'",
/// "rating 'abc' is not a number") used as `file:line: <what>: <line>`.
using LineError = std::string;

/// The longest ID token accepted; longer fields are errors, never truncated.
inline constexpr std::size_t kMaxIdLength = 256;

class LineParser {
 public:
  explicit LineParser(const Format& format, std::optional<RatingRange> range = std::nullopt);

  /// Parses `line` (without its line terminator; trailing blanks and '\r'
  /// allowed). Returns true and fills `out` if the line holds a rating;
  /// returns false with `out` untouched if the line is blank or a comment;
  /// throws nothing: on a malformed line sets `error` and returns false.
  bool parse(std::string_view line, ParsedLine& out, std::optional<LineError>& error) const;

 private:
  const Format* format_;
  std::optional<RatingRange> range_;
  int user_field_ = -1;
  int item_field_ = -1;
  int rating_field_ = -1;
  int time_field_ = -1;
  int field_count_ = 0;
  bool blank_separated_ = false;
  bool comments_ = false;  // '%' lines are comments (MatrixMarket)
};

}  // namespace dmf::io
