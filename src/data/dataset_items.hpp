// The item side of a data set load that does not read it (data/dataset_dir.hpp,
// docs/design.md §3: a format 1 data set, which has no item-major arrays, or
// a load keeping line numbers, which they do not store): the CSC block of
// the items a rank owns, from every rank's CSR block of its users, by two
// stable counting sorts on all threads (route_rounds.hpp's BucketSort): one
// of the ratings by the owner of their item, which are sent there at once,
// and one of what arrives, with the ratings of items the rank owns itself,
// by item row, straight into the block.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dmf/data/id_directory.hpp"
#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// Collective: the item side's CSC block from `by_user`, every rank's CSR of
/// its users; `degrees` are the ratings of each item this rank owns
/// (item_counts.npy), which lay the block out. Ratings are placed in
/// source-rank order, which is user order, so each item's users come out
/// ascending: the canonical order the text load's build_block sorts into.
/// `times`, `lines`: whether by_user holds them (the same on every rank,
/// from the options, even where it holds no ratings). Counts that do not fit
/// the ratings that arrive are refused on every rank naming `counts_path`,
/// before anything is placed.
[[nodiscard]] SparseBlock data_set_item_block(const dist::Comm& comm, const SparseBlock& by_user,
                                              const IdDirectory& items,
                                              std::span<const std::uint64_t> degrees,
                                              const std::string& counts_path, bool times,
                                              bool lines, int threads);

}  // namespace dmf::data
