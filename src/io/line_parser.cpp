#include "dmf/io/line_parser.hpp"

#include <cmath>

#include "dmf/core/error.hpp"
#include "fields.hpp"

namespace dmf::io {
namespace {

// Field text quoted in an error message is cut here: the caller prints the
// whole line anyway, and a 1 MiB field would bury the message.
constexpr std::size_t kQuotedFieldLimit = 40;

std::string quoted(std::string_view text) {
  if (text.size() <= kQuotedFieldLimit) return fmt::format("'{}'", text);
  return fmt::format("'{}...'", text.substr(0, kQuotedFieldLimit));
}

std::string shown(std::string_view text) {
  return text.size() <= kQuotedFieldLimit ? std::string(text)
                                          : fmt::format("{}...", text.substr(0, kQuotedFieldLimit));
}

/// Checks an ID field; an error phrase or nothing.
bool valid_id(std::string_view id, const char* role, std::optional<LineError>& error) {
  if (id.empty()) {
    error = fmt::format("empty {} ID", role);
    return false;
  }
  if (id.size() > kMaxIdLength) {
    error = fmt::format("{} ID is longer than {} bytes", role, kMaxIdLength);
    return false;
  }
  // A NUL or other control byte is a broken file, not an ID; kept, it would
  // also make every ID of the side sort bytewise instead of numerically.
  // A TAB is text like a blank ("Tom<TAB>Jones" quoted in a CSV file).
  for (const char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      error = fmt::format("{} ID holds the control byte {:#04x}", role, byte);
      return false;
    }
  }
  return true;
}

/// Checks a MatrixMarket index field against 1..bound; an error phrase or nothing.
bool valid_index(std::string_view field, const char* role, std::uint64_t bound, const char* what,
                 std::optional<LineError>& error) {
  std::int64_t index = 0;
  if (!detail::parse_int64(field, index)) {
    error = fmt::format("{} index {} is not an integer", role, quoted(field));
    return false;
  }
  if (index < 1 || static_cast<std::uint64_t>(index) > bound) {
    error =
        fmt::format("{} index {} is outside 1..{}, the size line's {}", role, index, bound, what);
    return false;
  }
  return true;
}

/// The value of a canonical non-negative integer of at most 18 digits
/// ("0", "42"; not "042", "-1", "+1"), or false.
bool plain_id(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.size() > 18 || (text[0] == '0' && text.size() > 1)) return false;
  std::uint64_t v = 0;
  for (const char c : text) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
    if (digit > 9) return false;
    v = v * 10 + digit;
  }
  value = v;
  return true;
}

/// A rating or time field that field_value() would leave as it is.
bool bare(std::string_view text) {
  const char first = text.front();
  const char last = text.back();
  return !detail::is_blank(first) && first != '"' && !detail::is_blank(last) && last != '"' &&
         last != '\r';
}

}  // namespace

LineParser::LineParser(const Format& format, std::optional<RatingRange> range)
    : separator_(format.separator),
      range_(range),
      has_rating_(format.has_rating),
      field_count_(static_cast<int>(format.columns.size())),
      blank_separated_(format.separator == detail::kBlankSeparator),
      comments_(format.kind == FormatKind::kMatrixMarket),
      integer_ratings_(format.integer_ratings) {
  if (format.kind == FormatKind::kMatrixMarket) {
    check_indices_ = true;
    max_row_ = format.mm_rows;
    max_column_ = format.mm_cols;
  }
  DMF_CHECK(!separator_.empty(), "internal: a rating format needs a field separator");
  for (int field = 0; field < field_count_; ++field) {
    switch (format.columns[static_cast<std::size_t>(field)]) {
      case Column::kUser:
        user_field_ = field;
        break;
      case Column::kItem:
        item_field_ = field;
        break;
      case Column::kRating:
        rating_field_ = field;
        break;
      case Column::kTime:
        time_field_ = field;
        break;
      case Column::kSkip:
        break;
    }
  }
  DMF_CHECK(user_field_ >= 0 && item_field_ >= 0,
            "internal: a rating format needs a user and an item column");
  if (rating_field_ < 0) has_rating_ = false;
  range_min_ = static_cast<float>(range_ ? range_->min : -kMaxRatingMagnitude);
  range_max_ = static_cast<float>(range_ ? range_->max : kMaxRatingMagnitude);
  columns_ = format.columns;
  plain_ = !check_indices_ && !comments_ && !integer_ratings_;
}

bool LineParser::parse(std::string_view line, ParsedLine& out,
                       std::optional<LineError>& error) const {
  error.reset();
  line = detail::trim_back(line);
  const std::string_view content = detail::trim_front(line);
  if (content.empty()) return false;
  if (comments_ && content.front() == '%') return false;

  std::string_view user;
  std::string_view item;
  std::string_view rating_text;
  std::string_view time_text;
  std::string_view first_two[2];  // MatrixMarket: the row and column indices
  detail::FieldCursor cursor(line, separator_);
  std::string_view field;
  int found = 0;
  while (found < field_count_ && cursor.next(field)) {
    if (found < 2) first_two[found] = field;
    if (found == user_field_) {
      user = field;
    } else if (found == item_field_) {
      item = field;
    } else if (found == rating_field_) {
      rating_text = field;
    } else if (found == time_field_) {
      time_text = field;
    }
    ++found;
  }
  if (found == field_count_) found += cursor.count_rest();
  if (found != field_count_) {
    // One field usually means the wrong separator: say which one was used.
    error = found == 1 ? fmt::format("expected {} fields separated by {}, found 1", field_count_,
                                     describe_separator(separator_))
                       : fmt::format("expected {} fields, found {}", field_count_, found);
    return false;
  }

  user = detail::field_value(user);
  item = detail::field_value(item);
  if (!valid_id(user, "user", error) || !valid_id(item, "item", error)) return false;
  if (check_indices_) {
    // found == field_count_ >= 2: a format has a user and an item column.
    if (!valid_index(first_two[0], "row", max_row_, "rows", error) ||
        !valid_index(first_two[1], "column", max_column_, "columns", error)) {
      return false;
    }
  }

  float rating = 1.0F;
  if (has_rating_) {
    rating_text = detail::field_value(rating_text);
    bool out_of_range = false;
    if (rating_text.empty()) {
      error = "empty rating";
      return false;
    }
    if (!detail::parse_float(rating_text, rating, out_of_range)) {
      error = out_of_range
                  ? fmt::format("rating {} is out of range for a float", shown(rating_text))
                  : fmt::format("rating {} is not a number", quoted(rating_text));
      return false;
    }
    std::int64_t whole = 0;
    if (integer_ratings_ && !detail::parse_int64(rating_text, whole)) {
      error = fmt::format("value {} is not an integer, which the banner's field 'integer' requires",
                          shown(rating_text));
      return false;
    }
    if (!std::isfinite(rating)) {
      error = fmt::format("rating {} is not finite", shown(rating_text));
      return false;
    }
    if (rating < range_min_ || rating > range_max_) {
      error = range_ ? fmt::format("rating {} is outside --rating-range {}:{}", shown(rating_text),
                                   range_->min, range_->max)
                     : fmt::format(
                           "rating {} is outside the default --rating-range -{}:{} (larger "
                           "ratings overflow training's sums)",
                           shown(rating_text), kMaxRatingMagnitudeText, kMaxRatingMagnitudeText);
      return false;
    }
  }

  std::int64_t time = 0;
  if (time_field_ >= 0) {
    time_text = detail::field_value(time_text);
    if (!detail::parse_int64(time_text, time)) {
      error = fmt::format("time {} is not an integer", quoted(time_text));
      return false;
    }
  }

  out.user = user;
  out.item = item;
  out.rating = rating;
  out.time = time;
  return true;
}

bool LineParser::parse_plain(std::string_view line, PlainLine& out) const {
  if (!plain_) return false;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
  const char separator = separator_[0];
  const std::size_t separator_size = separator_.size();
  const char* at = line.data();
  const char* const end = at + line.size();
  PlainLine parsed;
  for (int field = 0; field < field_count_; ++field) {
    const char* stop = at;
    if (blank_separated_) {
      while (stop < end && !detail::is_blank(*stop)) ++stop;
    } else {
      while (stop < end && *stop != separator) ++stop;
      if (stop < end && separator_size > 1 &&
          std::string_view(stop, static_cast<std::size_t>(end - stop)).substr(0, separator_size) !=
              separator_) {
        return false;  // the separator's first byte alone, inside a field
      }
    }
    const std::string_view text(at, static_cast<std::size_t>(stop - at));
    // Exactly field_count_ fields, none empty: the last one ends the line.
    if (text.empty() || (stop == end) != (field + 1 == field_count_)) return false;
    switch (columns_[static_cast<std::size_t>(field)]) {
      case Column::kUser:
        if (!plain_id(text, parsed.user_value)) return false;
        parsed.user = text;
        break;
      case Column::kItem:
        if (!plain_id(text, parsed.item_value)) return false;
        parsed.item = text;
        break;
      case Column::kRating: {
        if (!has_rating_) break;
        bool out_of_range = false;
        if (!bare(text) || !detail::parse_float(text, parsed.rating, out_of_range) ||
            !std::isfinite(parsed.rating) || parsed.rating < range_min_ ||
            parsed.rating > range_max_) {
          return false;
        }
        break;
      }
      case Column::kTime:
        if (!bare(text) || !detail::parse_int64(text, parsed.time)) return false;
        break;
      case Column::kSkip:
        break;
    }
    at = stop + (blank_separated_ ? 1 : separator_size);
  }
  out = parsed;
  return true;
}

}  // namespace dmf::io
