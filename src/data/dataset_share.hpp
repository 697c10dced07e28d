// The part of a data set directory (data/dataset_dir.hpp) each rank reads for
// itself: the manifest, verified; both sides' IDs and ownership, from the
// per-row counts (no sort); and the ratings of the users the rank owns, a
// contiguous range of the arrays, as its CSR block, and in format 2 the
// ratings of the items it owns as its CSC block (data/dataset_blocks.hpp).
// load_data_set builds the item side of a format 1 data set;
// read_data_set_here turns the share into LocalRatings.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/data/id_directory.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

struct DataSetShare {
  nlohmann::json manifest;
  std::uint64_t ratings = 0;     // in the whole data set
  std::uint64_t file_bytes = 0;  // of its files, the manifest not counted
  bool has_time = false;
  IdDirectory users;
  IdDirectory items;
  SparseBlock by_user;                      // this rank's users' ratings (times, lines as asked)
  std::optional<SparseBlock> by_item;       // this rank's items' ratings, when read (format 2)
  std::vector<std::uint64_t> item_degrees;  // ratings of each item this rank owns
  std::uint64_t first_rating = 0;           // position of by_user's first rating in the arrays
  double read_seconds = 0.0;                // manifest, checksums, arrays
  double index_seconds = 0.0;               // IDs
};

/// Collective. Refuses options that describe text (one error naming the
/// first such option), checks keep_time against the data set, verifies the
/// manifest and every file's checksum, and reads this rank's share. With
/// `item_side`, the share holds the item block too when the data set stores
/// it (format 2) and keep_lines is not set. Errors name the file at fault.
[[nodiscard]] DataSetShare read_data_set_share(const dist::Comm& comm, const std::string& dir,
                                               const LoadOptions& options, bool item_side);

/// Collective: the ratings of `block` (this rank's users, whose IDs `users`
/// holds; item IDs asked of `items`) for which pick(k, user, item) is true,
/// k being the entry, as LocalRatings with their tokens. Lines are the
/// ratings' 1-based positions: `first_position` + k + 1. Times are copied
/// when `block` has them.
[[nodiscard]] LocalRatings pick_ratings(
    const dist::Comm& comm, const SparseBlock& block, const IdDirectory& users,
    const IdDirectory& items, std::uint64_t first_position,
    const std::function<bool(std::uint64_t k, std::string_view user, std::string_view item)>& pick);

/// Collective: the blocks of ratings read where they are (a data set's
/// ratings that --holdout keeps, or one subset of a split), built as the
/// text load builds what it parsed: IDs indexed, rows owned by ratings,
/// both sides routed. `local` holds no repeated pairs.
[[nodiscard]] RatingsData ratings_from_local(const dist::Comm& comm, LocalRatings& local,
                                             const LoadOptions& options);

}  // namespace dmf::data
