// The data set directory (docs/design.md §3, README "The data set
// directory"): ratings converted once by `dmf convert`, loaded by every
// command that reads ratings without parsing or sorting anything.
//
//   DIR/manifest.json    "kind": "dmf data set", format_version, counts,
//                        rating range, the data's fingerprint, the
//                        checksum of every other file ("files") and, from
//                        format 2, of the rating arrays' pieces ("pieces")
//   DIR/manifest.xxh3    the checksum of manifest.json
//   DIR/user_ids.txt     the original ID of each user row, canonical order
//   DIR/item_ids.txt
//   DIR/user_counts.npy  uint64 (users,): ratings of each user row
//   DIR/item_counts.npy  uint64 (items,)
//   DIR/rows.npy         uint32 (ratings,): the user row of each rating
//   DIR/columns.npy      uint32 (ratings,): its item row
//   DIR/values.npy       float32 (ratings,): the rating
//   DIR/times.npy        int64 (ratings,): its timestamp, when the source had one
//   DIR/item_users.npy   uint32 (ratings,): the user row of each rating in
//                        item-major order (format 2 on)
//   DIR/item_values.npy  float32 (ratings,): its rating, item-major
//   DIR/item_times.npy   int64 (ratings,): its timestamp, item-major, when
//                        the source had one
//
// Ratings are in canonical order: by user row, then item row, one per
// (user, item) pair (duplicates were resolved by convert); the item-major
// arrays hold them by item row, then user row. Those are the orders of the
// loaded CSR and CSC blocks, so rank p reads the contiguous ranges of the
// ratings of the users and of the items it owns. (A format 1 data set has
// no item-major arrays: the load routes its item side.)
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dmf/data/loader.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/data/split.hpp"
#include "dmf/data/split_writer.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// The manifest's "kind", which tells a data set from a model directory.
inline constexpr std::string_view kDataSetKind = "dmf data set";
/// Version of the layout above, in manifest.json as "format_version".
inline constexpr int kDataSetFormatVersion = 2;
/// The oldest version this dmf loads (format 1: no item-major arrays).
inline constexpr int kDataSetOldestFormatVersion = 1;

/// How write_data_set lays a data set out; anything but the defaults only
/// in tests.
struct DataSetLayout {
  int format_version = kDataSetFormatVersion;
  std::uint64_t piece_bytes = 0;  // format 2's pieces; 0: by the file's size
};

/// Collective: whether `path` names a directory holding a manifest.json,
/// which load_ratings and read_ratings_here then read as a data set (one
/// that is not, such as a model directory, is refused by the read naming
/// it). Decided on rank 0.
[[nodiscard]] bool is_data_set_dir(const dist::Comm& comm, const std::string& path);

/// Collective: whether the data set `dir` holds times (its manifest's
/// "has_time", read on rank 0 without verifying: loading it verifies).
[[nodiscard]] bool data_set_has_time(const dist::Comm& comm, const std::string& dir);

/// Collective. Writes `data` (as load_ratings returned it, with times when
/// `data.by_user.times` holds them) as a data set directory at `dir`, with
/// `source` (what it was converted from) in the manifest. `dir` must not
/// exist, unless `overwrite` and it is a dmf directory; it appears in one
/// rename when complete (model/dir_writer.hpp). Returns the manifest.
nlohmann::json write_data_set(const dist::Comm& comm, const std::string& dir,
                              const RatingsData& data, const nlohmann::json& source, bool overwrite,
                              const DataSetLayout& layout = {});

/// Collective: load_ratings for a data set directory. The load options
/// that describe text (format, separator, columns, header, duplicates, bad
/// lines, rating range) were applied by convert; set here, they are refused
/// with one error. keep_time needs a data set with times. `keep` (--holdout)
/// re-indexes the IDs the kept ratings use, as the text load does.
[[nodiscard]] RatingsData load_data_set(const dist::Comm& comm, const std::string& dir,
                                        const LoadOptions& options);

/// Collective: read_ratings_here for a data set directory: rank p gets the
/// ratings of the users it would own, with their tokens. Lines are the
/// ratings' 1-based positions in the data set.
[[nodiscard]] LocalRatings read_data_set_here(const dist::Comm& comm, const std::string& dir,
                                              const LoadOptions& options);

/// Collective: dmf split of a data set: `data` loaded from it with
/// keep_lines (and keep_time when it has times), `decisions` from
/// assign_subsets. Writes each subset whose path is not empty as a data set
/// directory of its own, holding the IDs its ratings use: the directory
/// `dmf convert` makes of the text split's file. Returns the ratings written
/// to each subset.
SubsetCounts write_data_set_split(const dist::Comm& comm, const RatingsData& data,
                                  const std::vector<LineSubset>& decisions,
                                  const SplitOptions& options,
                                  const std::array<std::string, 3>& paths, bool overwrite);

}  // namespace dmf::data
