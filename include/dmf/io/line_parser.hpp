// Splits one data line into a rating. The hot path of every load: no
// allocation, no exceptions on success.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/io/format.hpp"

namespace dmf::io {

/// The fields of one parsed line; the IDs point into the line's bytes.
struct ParsedLine {
  std::string_view user;
  std::string_view item;
  float rating = 1.0F;
  std::int64_t time = 0;
};

/// A line read by the fast path (LineParser::parse_plain): both IDs are
/// canonical non-negative integers, given by value as well as by text.
struct PlainLine {
  std::string_view user;
  std::string_view item;
  std::uint64_t user_value = 0;
  std::uint64_t item_value = 0;
  float rating = 1.0F;
  std::int64_t time = 0;
};

/// Inclusive bounds on valid ratings (--rating-range MIN:MAX).
struct RatingRange {
  double min = 0.0;
  double max = 0.0;
};

/// The largest rating magnitude accepted, and the default --rating-range
/// -1e9:1e9. Training sums squared errors and rating products in float;
/// a finite 3e38 squares to infinity and the first epoch's loss is NaN.
/// Below 1e9 a square is 1e18, and even 1e9 such terms stay finite.
inline constexpr double kMaxRatingMagnitude = 1e9;
inline constexpr std::string_view kMaxRatingMagnitudeText = "1e9";

/// What is wrong with a line; a short phrase ("missing field 'rating'",
/// "rating 'abc' is not a number") used as `file:line: <what>: <line>`.
using LineError = std::string;

/// The longest ID token accepted; longer fields are errors, never truncated.
inline constexpr std::size_t kMaxIdLength = 256;

/// Turns the data lines of one Format into ratings. Cheap to copy; one per
/// thread is fine. Throws dmf::Error on construction if the format has no
/// user or item column. Without `range`, ratings must lie within
/// +-kMaxRatingMagnitude. MatrixMarket lines are also checked against the
/// size line's shape and, for an 'integer' file, must hold integer values.
class LineParser {
 public:
  explicit LineParser(const Format& format, std::optional<RatingRange> range = std::nullopt);

  /// Parses `line` (without its line terminator; trailing blanks and '\r'
  /// allowed). Returns true and fills `out` if the line holds a rating;
  /// returns false with `out` untouched if the line is blank or a comment
  /// (`error` then empty); throws nothing: on a malformed line sets `error`
  /// and returns false. Allocates only to describe an error.
  bool parse(std::string_view line, ParsedLine& out, std::optional<LineError>& error) const;

  /// The fast path of parse(), for the usual line: fields separated by one
  /// separator (one blank or TAB for blank-separated formats), none empty,
  /// both IDs canonical integers of at most 18 digits, the rating and time
  /// valid and bare (no blanks or quotes around them). Returns true and
  /// fills `out` with what parse() would give for such a line; returns
  /// false for any other line (blank, comment, quoted, bad, ...), which
  /// then goes through parse(). One pass over the line, nothing allocated.
  bool parse_plain(std::string_view line, PlainLine& out) const;

 private:
  // Copied from the Format rather than pointed to, so that a parser built
  // from a temporary (`LineParser p(detect_format(...))`) stays valid.
  std::string separator_;
  std::optional<RatingRange> range_;
  float range_min_ = 0.0F;  // the range as floats: a rating "0.3" parses to
  float range_max_ = 0.0F;  // 0.3F, which must not fall outside 0.3 (double)
  bool has_rating_ = true;
  int user_field_ = -1;
  int item_field_ = -1;
  int rating_field_ = -1;
  int time_field_ = -1;
  int field_count_ = 0;
  bool blank_separated_ = false;
  bool comments_ = false;  // '%' lines are comments (MatrixMarket)
  // MatrixMarket: the first two fields are 1-based indices up to the size
  // line's rows and columns.
  bool check_indices_ = false;
  std::uint64_t max_row_ = 0;
  std::uint64_t max_column_ = 0;
  bool integer_ratings_ = false;
  bool plain_ = false;  // parse_plain may accept lines of this format
  std::vector<Column> columns_;
};

}  // namespace dmf::io
