// The last step of `recommend` and `similar`: each query's ranked items,
// found on the rank that owns the query's row, go back to the rank that read
// the query and are written in query order, one CSV line per item
// ("query,rank,item,score"), so the output is the same for any number of
// ranks (docs/design.md §5, Serving).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::cli {

/// One ranked item on its way back to the rank that read its query.
struct RankedItem {
  std::uint64_t sequence = 0;  // the query's place among all queries
  std::uint32_t item = 0;      // global item row
  float score = 0.0F;
};

/// The name of a query read on this rank, by its sequence.
using QueryName = std::function<std::string_view(std::uint64_t sequence)>;

/// Collective. `back[r]` holds, best first per query, the ranked items of
/// the queries rank r read; `name_of` names this rank's queries. Writes
/// `header`, then the lines, to `out` ("-": standard output; an existing
/// file only with `overwrite`). Returns whether the lists went to standard
/// output.
bool write_ranked_lists(const dist::Comm& comm, const data::IdDirectory& items,
                        const std::vector<std::vector<RankedItem>>& back, const QueryName& name_of,
                        std::string_view header, const std::string& out, bool overwrite);

}  // namespace dmf::cli
