// The parts of format.hpp that only interpret option text: --sep and
// --columns values, and how a separator is named in messages.
#include <algorithm>
#include <cctype>

#include "dmf/core/error.hpp"
#include "dmf/io/format.hpp"
#include "fields.hpp"

namespace dmf::io {
namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

const char* role_name(Column column) {
  switch (column) {
    case Column::kUser:
      return "user";
    case Column::kItem:
      return "item";
    case Column::kRating:
      return "rating";
    case Column::kTime:
      return "time";
    case Column::kSkip:
      return "skip";
  }
  return "?";
}

}  // namespace

std::string normalize_separator(std::string_view option) {
  if (option.empty()) return {};
  const std::string name = lower(option);
  // A shell hands "\t" over as backslash + t; accept it as well as a real TAB.
  if (name == "\t" || name == "\\t" || name == "tab") return "\t";
  if (name == "space" || name == "blank" || name == "blanks" ||
      std::all_of(option.begin(), option.end(), [](char c) { return c == ' '; })) {
    return std::string(detail::kBlankSeparator);
  }
  return std::string(option);
}

std::string describe_separator(std::string_view separator) {
  if (separator == "\t") return "TAB";
  if (separator == detail::kBlankSeparator) return "blanks";
  return fmt::format("'{}'", separator);
}

std::vector<Column> parse_columns(std::string_view text) {
  std::vector<Column> columns;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string name =
        lower(detail::trim_back(detail::trim_front(text.substr(begin, end - begin))));
    Column column = Column::kSkip;
    if (name == "user") {
      column = Column::kUser;
    } else if (name == "item") {
      column = Column::kItem;
    } else if (name == "rating") {
      column = Column::kRating;
    } else if (name == "time") {
      column = Column::kTime;
    } else if (name == "-" || name == "skip") {
      column = Column::kSkip;
    } else if (name.empty()) {
      fail("--columns '{}' has an empty entry; use '-' to skip a field", text);
    } else {
      fail(
          "--columns '{}': unknown column '{}' (known: user, item, rating, time, and - or skip "
          "to ignore a field)",
          text, name);
    }
    if (column != Column::kSkip) {
      DMF_CHECK(std::find(columns.begin(), columns.end(), column) == columns.end(),
                "--columns '{}' names '{}' twice", text, role_name(column));
    }
    columns.push_back(column);
    begin = end + 1;
  }
  for (const Column required : {Column::kUser, Column::kItem}) {
    DMF_CHECK(std::find(columns.begin(), columns.end(), required) != columns.end(),
              "--columns '{}' has no '{}' column", text, role_name(required));
  }
  return columns;
}

}  // namespace dmf::io
