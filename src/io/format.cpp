// detect_format: what a ratings file is, from its name and its first
// kFormatHeadBytes bytes. Every rank calls this on its own, so the answer
// depends on nothing but those bytes (and the file's size) and the options.
#include "dmf/io/format.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "dmf/core/error.hpp"
#include "fields.hpp"
#include "input_file.hpp"

namespace dmf::io {
namespace {

constexpr std::string_view kMatrixMarketBanner = "%%MatrixMarket";

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

/// One line of the head: [begin, begin + text.size()) without '\n', `next`
/// the offset just after its '\n'.
struct HeadLine {
  std::uint64_t begin = 0;
  std::uint64_t next = 0;
  std::uint64_t number = 0;  // 1-based
  std::string_view text;     // trailing '\r' and blanks trimmed
  bool complete = true;      // false: cut by the end of the head
};

/// The lines of a file's head and the questions detection asks about them.
class Head {
 public:
  Head(const std::string& path, std::string bytes, bool whole)
      : path_(path), bytes_(std::move(bytes)), whole_(whole) {
    bom_ = std::string_view(bytes_).starts_with(detail::kUtf8Bom) ? detail::kUtf8Bom.size() : 0;
    std::size_t begin = bom_;
    std::uint64_t number = 1;
    while (begin < bytes_.size()) {
      const std::size_t newline = bytes_.find('\n', begin);
      HeadLine line;
      line.begin = begin;
      line.number = number++;
      line.complete = newline != std::string::npos || whole_;
      const std::size_t end = newline == std::string::npos ? bytes_.size() : newline;
      line.next = newline == std::string::npos ? end : newline + 1;
      line.text = detail::trim_back(std::string_view(bytes_).substr(begin, end - begin));
      lines_.push_back(line);
      begin = line.next;
    }
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] bool whole() const { return whole_; }
  [[nodiscard]] std::size_t bom() const { return bom_; }
  [[nodiscard]] std::size_t size() const { return lines_.size(); }
  [[nodiscard]] const HeadLine& operator[](std::size_t i) const { return lines_[i]; }
  [[nodiscard]] std::string_view bytes(std::uint64_t begin, std::uint64_t end) const {
    return std::string_view(bytes_).substr(begin, end - begin);
  }

  /// Index of the first line at or after `from` that is neither blank nor
  /// (with `comments`) a '%' comment; size() if the head holds none. Throws
  /// when that line is cut off by the end of the head.
  [[nodiscard]] std::size_t next_content(std::size_t from, bool comments) const {
    for (std::size_t i = from; i < lines_.size(); ++i) {
      const std::string_view text = detail::trim_front(lines_[i].text);
      if (!lines_[i].complete) {
        fail(
            "cannot detect the format of {}: no complete data line within its first {} KiB "
            "(a header or preamble that long, or not a text file?)",
            path_, kFormatHeadBytes / 1024);
      }
      if (text.empty() || (comments && text.front() == '%')) continue;
      return i;
    }
    return lines_.size();
  }

  /// Throws "no ratings" unless `index` names a line (see next_content).
  void require(std::size_t index, std::string_view what_is_there) const {
    if (index < lines_.size()) return;
    if (whole_) fail("{} contains no ratings: {}", path_, what_is_there);
    // Only blank lines in the first 64 KiB of a longer file.
    fail("cannot detect the format of {}: its first {} KiB hold no data line", path_,
         kFormatHeadBytes / 1024);
  }

 private:
  std::string path_;
  std::string bytes_;
  bool whole_;
  std::size_t bom_ = 0;
  std::vector<HeadLine> lines_;
};

Head read_head(const std::string& path) {
  const detail::InputFile file(path);
  const auto size =
      static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), kFormatHeadBytes));
  std::string bytes(size, '\0');
  bytes.resize(file.read_at(0, bytes.data(), size));
  if (bytes.empty()) fail("{} contains no ratings: the file is empty", path);
  return Head(path, std::move(bytes), file.size() <= kFormatHeadBytes);
}

std::string lower_file_name(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

/// The format the name, an explicit separator, or the first line suggests,
/// in the order the issue gives.
FormatKind guess_kind(const std::string& path, std::string_view separator,
                      std::string_view first_line) {
  const std::string name = lower_file_name(path);
  const std::string extension = std::filesystem::path(name).extension().string();
  if (extension == ".mtx" || extension == ".mm" ||
      starts_with_ignoring_case(first_line, kMatrixMarketBanner)) {
    return FormatKind::kMatrixMarket;
  }
  // An explicit --sep outranks "::" seen in a line: "a::b;c;5" with --sep ';'.
  if (name == "ratings.dat" ||
      (separator.empty() && first_line.find("::") != std::string_view::npos)) {
    return FormatKind::kMovieLens;
  }
  if (name == "u.data") return FormatKind::kUData;
  if (extension == ".csv") return FormatKind::kCsv;
  if (extension == ".tsv" || extension == ".tab") return FormatKind::kTsv;
  if (!separator.empty()) {
    if (separator == "::") return FormatKind::kMovieLens;
    if (separator == "\t") return FormatKind::kTsv;
    if (separator == detail::kBlankSeparator) return FormatKind::kLibmf;
    return FormatKind::kCsv;
  }
  if (first_line.find('\t') != std::string_view::npos) return FormatKind::kTsv;
  if (first_line.find(',') != std::string_view::npos) return FormatKind::kCsv;
  if (std::any_of(first_line.begin(), first_line.end(), detail::is_blank))
    return FormatKind::kLibmf;
  fail(
      "cannot tell the format of {} from its name or its first line '{}'; pass --format "
      "(and --sep for another separator)",
      path, first_line.substr(0, 80));
}

std::string default_separator(FormatKind kind) {
  switch (kind) {
    case FormatKind::kMovieLens:
      return "::";
    case FormatKind::kUData:
    case FormatKind::kTsv:
      return "\t";
    case FormatKind::kLibmf:
    case FormatKind::kMatrixMarket:
      return std::string(detail::kBlankSeparator);
    case FormatKind::kAuto:
    case FormatKind::kCsv:
      return ",";
  }
  return ",";
}

std::vector<std::string_view> split_fields(std::string_view line, std::string_view separator) {
  std::vector<std::string_view> fields;
  detail::FieldCursor cursor(line, separator);
  std::string_view field;
  while (cursor.next(field)) fields.push_back(detail::field_value(field));
  return fields;
}

/// user,item[,rating[,time]] from a data line's field count.
std::vector<Column> infer_columns(const Head& head, const HeadLine& line,
                                  std::string_view separator) {
  const std::size_t count = split_fields(line.text, separator).size();
  switch (count) {
    case 2:
      return {Column::kUser, Column::kItem};
    case 3:
      return {Column::kUser, Column::kItem, Column::kRating};
    case 4:
      return {Column::kUser, Column::kItem, Column::kRating, Column::kTime};
    default:
      fail(
          "{}:{}: found {} field{} separated by {}; say which is which with --columns "
          "(e.g. --columns user,item,rating,time, '-' to skip a field) or pick --sep",
          head.path(), line.number, count, count == 1 ? "" : "s", describe_separator(separator));
  }
}

bool is_number(std::string_view text) {
  float value = 0.0F;
  bool out_of_range = false;
  return detail::parse_float(text, value, out_of_range) || out_of_range;
}

/// True if the head's line `first` looks like a header. By its rating field
/// (else its time field) when it has one: a header's is not a number.
/// Without either, by its user and item fields: the column names themselves
/// ("user,item"), or words where the next line has integers ("userId,movieId"
/// over "1,10"); string IDs on both lines tell nothing, so no header.
bool looks_like_header(const Head& head, std::size_t first, std::string_view separator,
                       const std::vector<Column>& columns) {
  const auto field_of = [&](const std::vector<std::string_view>& fields,
                            Column role) -> std::optional<std::string_view> {
    const auto at = std::find(columns.begin(), columns.end(), role);
    const auto index = static_cast<std::size_t>(at - columns.begin());
    if (at == columns.end() || index >= fields.size()) return std::nullopt;
    return fields[index];
  };
  const auto fields = split_fields(head[first].text, separator);
  if (const auto rating = field_of(fields, Column::kRating)) return !is_number(*rating);
  if (const auto time = field_of(fields, Column::kTime)) {
    std::int64_t value = 0;
    return !detail::parse_int64(*time, value);
  }
  const auto user = field_of(fields, Column::kUser);
  const auto item = field_of(fields, Column::kItem);
  if (!user || !item) return false;
  if (equals_ignoring_case(*user, "user") && equals_ignoring_case(*item, "item")) return true;
  if (is_number(*user) || is_number(*item)) return false;
  for (std::size_t next = first + 1; next < head.size() && head[next].complete; ++next) {
    if (detail::trim_front(head[next].text).empty()) continue;
    const auto data = split_fields(head[next].text, separator);
    const auto data_user = field_of(data, Column::kUser);
    const auto data_item = field_of(data, Column::kItem);
    std::int64_t value = 0;
    return data_user && data_item && detail::parse_int64(*data_user, value) &&
           detail::parse_int64(*data_item, value);
  }
  return false;
}

std::uint64_t parse_size_number(const Head& head, const HeadLine& line, std::string_view token) {
  std::int64_t value = 0;
  if (!detail::parse_int64(token, value) || value < 0) {
    fail("{}:{}: expected the MatrixMarket size line 'rows columns entries', found '{}'",
         head.path(), line.number, line.text.substr(0, 80));
  }
  return static_cast<std::uint64_t>(value);
}

/// MatrixMarket: banner, '%' comments, size line, then "row col [value]".
Format detect_matrix_market(const Head& head, const FormatOptions& options, std::size_t first) {
  Format format;
  format.kind = FormatKind::kMatrixMarket;
  format.separator = std::string(detail::kBlankSeparator);
  const std::string separator = normalize_separator(options.separator);
  DMF_CHECK(separator.empty() || separator == detail::kBlankSeparator,
            "{} is a MatrixMarket file, whose fields are separated by blanks; drop --sep {}",
            head.path(), describe_separator(separator));
  DMF_CHECK(options.header != HeaderMode::kYes,
            "{} is a MatrixMarket file, which has no header line; drop --header", head.path());

  const HeadLine& banner = head[first];
  const auto words = split_fields(banner.text, detail::kBlankSeparator);
  DMF_CHECK(!words.empty() && equals_ignoring_case(words[0], kMatrixMarketBanner),
            "{}:{}: expected a MatrixMarket banner ('%%MatrixMarket matrix coordinate real "
            "general'), found '{}'",
            head.path(), banner.number, banner.text.substr(0, 80));
  DMF_CHECK(words.size() == 5 && equals_ignoring_case(words[1], "matrix") &&
                equals_ignoring_case(words[2], "coordinate"),
            "{}:{}: only 'matrix coordinate' MatrixMarket files hold ratings, found '{}'",
            head.path(), banner.number, banner.text);
  const std::string_view field = words[3];
  const bool pattern = equals_ignoring_case(field, "pattern");
  DMF_CHECK(
      pattern || equals_ignoring_case(field, "real") || equals_ignoring_case(field, "integer"),
      "{}:{}: MatrixMarket field '{}' is not supported (real, integer or pattern)", head.path(),
      banner.number, field);
  DMF_CHECK(equals_ignoring_case(words[4], "general"),
            "{}:{}: MatrixMarket symmetry '{}' is not supported (only general: every rating "
            "listed)",
            head.path(), banner.number, words[4]);

  const std::size_t size_index = head.next_content(first + 1, /*comments=*/true);
  head.require(size_index, "only a MatrixMarket banner");
  const HeadLine& size_line = head[size_index];
  const auto numbers = split_fields(size_line.text, detail::kBlankSeparator);
  if (numbers.size() != 3) parse_size_number(head, size_line, "");  // throws the message
  format.mm_rows = parse_size_number(head, size_line, numbers[0]);
  format.mm_cols = parse_size_number(head, size_line, numbers[1]);
  format.mm_entries = parse_size_number(head, size_line, numbers[2]);

  format.integer_ratings = equals_ignoring_case(field, "integer");
  format.data_begin = size_line.next;
  format.data_begin_line = size_line.number + 1;
  format.mm_banner = std::string(head.bytes(head.bom(), size_line.begin));
  format.preamble = std::string(head.bytes(head.bom(), size_line.next));
  DMF_CHECK(format.mm_entries > 0, "{} contains no ratings: its size line says 0 entries",
            head.path());
  head.require(head.next_content(size_index + 1, /*comments=*/true),
               "only a MatrixMarket preamble");

  format.columns =
      options.columns.empty()
          ? (pattern ? std::vector<Column>{Column::kUser, Column::kItem}
                     : std::vector<Column>{Column::kUser, Column::kItem, Column::kRating})
          : parse_columns(options.columns);
  return format;
}

}  // namespace

Format detect_format(const std::string& path, const FormatOptions& options) {
  const Head head = read_head(path);
  const std::size_t first = head.next_content(0, /*comments=*/false);
  head.require(first, "only blank lines");

  const std::string separator = normalize_separator(options.separator);
  const FormatKind kind = options.format != FormatKind::kAuto
                              ? options.format
                              : guess_kind(path, separator, head[first].text);
  Format format;
  if (kind == FormatKind::kMatrixMarket) {
    format = detect_matrix_market(head, options, first);
  } else {
    format.kind = kind;
    format.separator = separator.empty() ? default_separator(kind) : separator;
    const bool may_have_header = kind == FormatKind::kCsv || kind == FormatKind::kTsv;
    const bool explicit_columns = !options.columns.empty();
    const bool fixed_columns = kind == FormatKind::kMovieLens || kind == FormatKind::kUData;

    std::size_t data = first;
    if (options.header == HeaderMode::kYes) {
      data = head.next_content(first + 1, false);
      head.require(data, "only a header line");
    }
    if (explicit_columns) {
      format.columns = parse_columns(options.columns);
    } else if (fixed_columns) {
      format.columns = {Column::kUser, Column::kItem, Column::kRating, Column::kTime};
    } else {
      format.columns = infer_columns(head, head[data], format.separator);
    }
    if (options.header == HeaderMode::kAuto && may_have_header &&
        looks_like_header(head, first, format.separator, format.columns)) {
      data = head.next_content(first + 1, false);
      head.require(data, "only a header line");
      // The header told us it is one; the data line tells how many fields.
      if (!explicit_columns) format.columns = infer_columns(head, head[data], format.separator);
    }
    format.has_header = data != first;
    if (format.has_header) {
      format.data_begin = head[first].next;
      format.data_begin_line = head[first].number + 1;
    } else {
      format.data_begin = head.bom();
      format.data_begin_line = 1;
    }
    format.preamble = std::string(head.bytes(head.bom(), format.data_begin));
  }
  const auto has = [&](Column role) {
    return std::find(format.columns.begin(), format.columns.end(), role) != format.columns.end();
  };
  format.has_rating = has(Column::kRating);
  format.has_time = has(Column::kTime);
  return format;
}

}  // namespace dmf::io
