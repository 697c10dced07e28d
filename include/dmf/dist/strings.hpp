// Moving strings between ranks: every collective in Comm moves fixed-size
// elements, so strings travel as their bytes plus their lengths.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/dist/comm.hpp"

namespace dmf::dist {

/// Every rank's strings, concatenated in rank order, on every rank.
[[nodiscard]] std::vector<std::string> allgather_strings(const Comm& comm,
                                                         std::span<const std::string> mine);

}  // namespace dmf::dist
