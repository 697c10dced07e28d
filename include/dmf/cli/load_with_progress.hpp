// Loading a ratings file the way a command does it for a person: with a
// progress line on rank 0 when the load takes more than a second, through
// the read and then the routing.
#pragma once

#include <string>

#include "dmf/cli/command.hpp"
#include "dmf/data/loader.hpp"

namespace dmf::cli {

/// Collective: data::load_ratings(path, options), showing the read's and
/// the routing's progress (train::LoadProgress) on `context`'s console.
[[nodiscard]] data::RatingsData load_with_progress(const Context& context, const std::string& path,
                                                   data::LoadOptions options);

}  // namespace dmf::cli
