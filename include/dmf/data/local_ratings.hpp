// One rank's share of a ratings file as it is in the file: its byte range
// parsed into ratings with local ID numbers, nothing routed or merged. It is
// the read phase of load_ratings, and all that commands need that only look
// at each rating once (eval, predict, validation sets).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/data/token_table.hpp"
#include "dmf/io/format.hpp"
#include "dmf/io/part_files.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::data {

struct LocalRatings {
  TokenTable user_tokens;  // distinct users met here, local numbering
  TokenTable item_tokens;
  std::vector<std::uint64_t> user_counts;  // ratings per local user
  std::vector<std::uint64_t> item_counts;
  std::vector<std::uint32_t> users;  // per rating: local user number
  std::vector<std::uint32_t> items;
  std::vector<float> values;
  std::vector<std::int64_t> times;             // when LoadOptions::keep_time
  std::vector<std::uint64_t> lines;            // global line numbers (when read with lines)
  std::uint64_t lines_seen = 0;                // lines of the range, all ranks summed
  std::vector<std::uint64_t> lines_per_rank;   // lines of each rank's range
  std::uint64_t bad_lines = 0;                 // all ranks summed
  std::vector<std::string> bad_line_examples;  // the first few of the file
  io::LineNames line_names;  // "file:line" of a line number: the part's, for a directory

  [[nodiscard]] std::size_t size() const noexcept { return values.size(); }
};

/// Collective. Reads and parses this rank's `range` of `input` (a file or
/// a directory of part files, docs/design.md §3). Under
/// --bad-lines error, the first bad line of the file is raised on every rank.
/// `with_lines`: fill LocalRatings::lines (else it stays empty, 8 bytes a
/// rating saved: arrival order stands for line order when routing).
[[nodiscard]] LocalRatings read_local_ratings(const dist::Comm& comm, const io::PartFiles& input,
                                              io::ByteRange range, const LoadOptions& options,
                                              bool with_lines = true);

/// Collective. Applies options.duplicates to the (user, item) pairs that
/// `ratings` (all ranks' together, read from `path`) holds more than once,
/// exactly as load_ratings does: under kError the same error naming their
/// lines; else one rating per pair, held by its user's owner rank, with the
/// line of the kept (or first) rating. Without such pairs, `ratings` as it is.
[[nodiscard]] LocalRatings merge_duplicate_pairs(const dist::Comm& comm, LocalRatings ratings,
                                                 const std::string& path,
                                                 const LoadOptions& options);

/// Collective. Detects the format of `path` (from options.format) and reads
/// this rank's byte range of it (io::split_range), with options.threads
/// threads; with options.pairs_once, then merge_duplicate_pairs. `format`,
/// when given, receives the detected format.
[[nodiscard]] LocalRatings read_ratings_here(const dist::Comm& comm, const std::string& path,
                                             const LoadOptions& options,
                                             io::Format* format = nullptr);

/// A line as it may appear in a message: bounded length, no control bytes.
[[nodiscard]] std::string printable(std::string_view line);

}  // namespace dmf::data
