// The blocks a rank reads of a data set (data/dataset_dir.hpp,
// docs/design.md §3): the CSR block of the users it owns, a contiguous range
// of the user-major arrays, and, in format 2, the CSC block of the items it
// owns, a contiguous range of the item-major arrays; all read straight into
// the blocks' vectors in one pass on all threads, verified, and checked for
// canonical order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "dmf/data/id_directory.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

struct DataSetBlocks {
  SparseBlock by_user;                 // this rank's users' ratings (times, lines as asked)
  std::optional<SparseBlock> by_item;  // this rank's items' ratings, when read
  std::uint64_t first_rating = 0;      // position of by_user's first rating in the arrays
};

/// Collective. Reads this rank's blocks of the data set `dir` (its verified
/// `manifest`, `ratings` ratings), whose rows `users` and `items` own;
/// `item_degrees` are the ratings of each item this rank owns
/// (item_counts.npy). The item block is read when `item_block` (format 2
/// only). Checks that the arrays agree with the counts, hold canonical
/// order, and that both sides hold the same (user, item) pairs (sums of
/// each side's rows and columns). Errors name the file.
[[nodiscard]] DataSetBlocks read_data_set_blocks(const dist::Comm& comm, const std::string& dir,
                                                 const nlohmann::json& manifest,
                                                 std::uint64_t ratings, const IdDirectory& users,
                                                 const IdDirectory& items,
                                                 std::span<const std::uint64_t> item_degrees,
                                                 const LoadOptions& options, bool item_block);

}  // namespace dmf::data
