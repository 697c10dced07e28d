// Rating file formats: what the user asks for (FormatOptions) and what a file
// turns out to be (Format), detected from its name and its first bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/core/enum_names.hpp"

namespace dmf::io {

enum class FormatKind {
  kAuto,          // detect from name and content
  kMovieLens,     // ratings.dat: user::item::rating::time
  kUData,         // MovieLens 100K u.data: user<TAB>item<TAB>rating<TAB>time
  kCsv,           // comma separated, optional header
  kTsv,           // tab separated, optional header
  kLibmf,         // LIBMF text: user item rating (blank separated)
  kMatrixMarket,  // %%MatrixMarket matrix coordinate real|integer|pattern general
};

inline std::span<const EnumName<FormatKind>> enum_names(FormatKind /*tag*/) {
  static constexpr std::array<EnumName<FormatKind>, 7> kNames{{
      {FormatKind::kAuto, "auto"},
      {FormatKind::kMovieLens, "movielens"},
      {FormatKind::kUData, "udata"},
      {FormatKind::kCsv, "csv"},
      {FormatKind::kTsv, "tsv"},
      {FormatKind::kLibmf, "libmf"},
      {FormatKind::kMatrixMarket, "mm"},
  }};
  return kNames;
}

enum class HeaderMode { kAuto, kYes, kNo };

inline std::span<const EnumName<HeaderMode>> enum_names(HeaderMode /*tag*/) {
  static constexpr std::array<EnumName<HeaderMode>, 3> kNames{{
      {HeaderMode::kAuto, "auto"},
      {HeaderMode::kYes, "yes"},
      {HeaderMode::kNo, "no"},
  }};
  return kNames;
}

/// The role of one field of a line.
enum class Column : std::uint8_t { kUser, kItem, kRating, kTime, kSkip };

/// The format options every command that reads ratings takes.
struct FormatOptions {
  FormatKind format = FormatKind::kAuto;
  /// Field separator; empty = the format's own. "\t" and "tab" mean TAB,
  /// "space" / "blank" mean runs of spaces and tabs.
  std::string separator;
  /// Roles of the fields in order, e.g. "user,item,rating,time"; "-" or
  /// "skip" ignores a field. Empty = the format's own / user,item,rating[,time].
  std::string columns;
  HeaderMode header = HeaderMode::kAuto;
};

/// Everything needed to split a file's data lines into ratings. The same on
/// every rank: a pure function of the file's head and the options.
struct Format {
  FormatKind kind = FormatKind::kCsv;
  /// "::", ",", "\t", ... or " " for runs of blanks (libmf, mm).
  std::string separator = ",";
  std::vector<Column> columns;  // one entry per field of a data line
  bool has_rating = true;       // false: every rating is 1 (mm pattern, clicks)
  bool has_time = false;
  bool has_header = false;
  /// Byte offset of the first data byte: after a UTF-8 BOM, a header line
  /// or the MatrixMarket banner, comments and size line.
  std::uint64_t data_begin = 0;
  /// 1-based number of the line that starts at data_begin.
  std::uint64_t data_begin_line = 1;
  /// The bytes before data_begin without the BOM (header line, mm preamble),
  /// so that writers can keep the input's format.
  std::string preamble;
  /// MatrixMarket only: the size line's numbers and the line itself.
  std::uint64_t mm_rows = 0;
  std::uint64_t mm_cols = 0;
  std::uint64_t mm_entries = 0;
  /// MatrixMarket 'integer' field: every value must be an integer.
  bool integer_ratings = false;
  std::string mm_banner;  // everything of the preamble before the size line
};

/// How much of a file detect_format reads: a header or preamble must end
/// (and the first data line start and end) within these first bytes.
inline constexpr std::size_t kFormatHeadBytes = 64 * 1024;

/// The separator a --sep value means: "\t" (typed or real) and "tab" give
/// TAB; "space", "blank" and blanks-only give " " (runs of blanks); anything
/// else is taken literally ("::", ";"). Empty stays empty (the format's own).
[[nodiscard]] std::string normalize_separator(std::string_view option);

/// Parses a --columns list such as "user,item,rating,time" or "item,-,user".
/// Throws dmf::Error naming the bad entry.
[[nodiscard]] std::vector<Column> parse_columns(std::string_view text);

/// Human-readable name of a separator for messages ("TAB", "'::'").
[[nodiscard]] std::string describe_separator(std::string_view separator);

/// Detects the format of `path` from its name and its first bytes, honouring
/// `options`. Throws dmf::Error with one clear sentence for a missing,
/// unreadable or empty file, a directory, or a head it cannot make sense of.
[[nodiscard]] Format detect_format(const std::string& path, const FormatOptions& options);

}  // namespace dmf::io
