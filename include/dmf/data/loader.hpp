// Loading a ratings file across ranks (docs/design.md §3): each rank reads its own
// byte range, parses it, and every rating is routed to its user's owner and
// its item's owner. No rank holds the whole file or the whole matrix.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/data/duplicates.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/io/format.hpp"
#include "dmf/io/line_parser.hpp"

namespace dmf::data {

enum class BadLinePolicy { kError, kSkip };

inline std::span<const EnumName<BadLinePolicy>> enum_names(BadLinePolicy /*tag*/) {
  static constexpr std::array<EnumName<BadLinePolicy>, 2> kNames{{
      {BadLinePolicy::kError, "error"},
      {BadLinePolicy::kSkip, "skip"},
  }};
  return kNames;
}

/// The options of every command that reads ratings.
struct LoadOptions {
  io::FormatOptions format;
  DuplicatePolicy duplicates = DuplicatePolicy::kError;
  BadLinePolicy bad_lines = BadLinePolicy::kError;
  std::optional<io::RatingRange> rating_range;
  bool keep_time = false;   // keep timestamps in the blocks (time splits)
  bool keep_lines = false;  // keep source line numbers in the blocks (split)
  /// read_ratings_here: a (user, item) pair rated more than once follows
  /// `duplicates`, as in load_ratings, so a scored set (eval, validation,
  /// test) counts each pair once. False keeps every line (predict).
  bool pairs_once = true;
  int threads = 1;  // OpenMP threads inside each rank
  /// When set, only ratings with keep(user ID, item ID) true are read; the
  /// others are passed over like comments (an in-process split). Called from
  /// several threads at once.
  std::function<bool(std::string_view user, std::string_view item)> keep;
  /// When set, called now and then while the file is read, by one thread of
  /// each rank, with the fraction of its first part read so far (ranks and
  /// threads read alike, so it stands for the whole file's). For a progress
  /// line; it must not throw.
  std::function<void(double fraction)> on_progress;
  /// When set, called on every rank after each routing round (load_ratings'
  /// second phase), with the fraction of the rounds done: the user side's
  /// rounds take it to 1/2, the item side's to 1. For a progress line; it
  /// must not throw.
  std::function<void(double fraction)> on_route_progress;
  /// Ratings a rank routes per round (docs/design.md §3): bounds the memory
  /// in flight. Tests lower it to run many rounds on small files.
  std::uint64_t round_ratings = std::uint64_t{1} << 19U;
};

/// What a load did, the same on every rank.
struct LoadReport {
  std::string path;
  io::Format format;
  std::uint64_t file_bytes = 0;
  std::uint64_t lines = 0;  // lines of the data part of the file
  /// Rank p read lines [first_line[p], first_line[p+1]) of the file (its
  /// byte range of io::split_range); size ranks + 1.
  std::vector<std::uint64_t> first_line;
  std::uint64_t ratings_read = 0;              // ratings parsed, before merging duplicates
  std::uint64_t ratings = 0;                   // ratings kept
  std::uint64_t bad_lines = 0;                 // skipped under --bad-lines skip
  std::vector<std::string> bad_line_examples;  // the first few, "file:line: what: line"
  std::uint64_t duplicate_pairs = 0;           // (user, item) pairs rated more than once
  std::uint64_t duplicates_merged = 0;
  double read_seconds = 0.0;   // read + parse
  double index_seconds = 0.0;  // ID directories
  double route_seconds = 0.0;  // routing + building blocks
  [[nodiscard]] double seconds() const { return read_seconds + index_seconds + route_seconds; }
};

/// One rank's share of a ratings file.
struct RatingsData {
  IdDirectory users;
  IdDirectory items;
  SparseBlock by_user;  // CSR of the ratings of the users this rank owns
  SparseBlock by_item;  // CSC of the ratings of the items this rank owns
  LoadReport report;
};

/// Collective. Loads `path` over all ranks of `comm`. Input errors are raised
/// on every rank as the same dmf::Error, naming file and line.
[[nodiscard]] RatingsData load_ratings(const dist::Comm& comm, const std::string& path,
                                       const LoadOptions& options);

}  // namespace dmf::data
