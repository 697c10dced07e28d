// A ratings file's pairs regrouped by user on the rank that owns the user's
// model row, which is where that user is ranked (docs/design.md §3
// "Ownership"): the test items of `dmf eval`'s ranking metrics and the items
// --exclude-rated takes out of the ranking.
#pragma once

#include <cstdint>
#include <vector>

#include "dmf/data/id_directory.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::eval {

/// An item of a user, with the value of the rating.
struct ItemValue {
  std::uint32_t item = 0;  // global item row
  float value = 0.0F;
};

struct OwnedUserItems {
  /// Per user row this rank owns: its items, ascending and distinct (a pair
  /// given more than once keeps its largest value).
  std::vector<std::vector<ItemValue>> of_user;
  /// Pairs, over all ranks, whose user or item the model has not seen: they
  /// cannot be ranked and are left out.
  std::uint64_t cold = 0;
};

/// Collective. `ratings` were read on this rank (data::read_ratings_here);
/// their IDs are looked up in the model's directories and each known pair
/// is sent to its user's owner.
[[nodiscard]] OwnedUserItems group_by_owned_user(const dist::Comm& comm,
                                                 const data::IdDirectory& users,
                                                 const data::IdDirectory& items,
                                                 const data::LocalRatings& ratings);

}  // namespace dmf::eval
