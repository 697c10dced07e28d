// A data set's fingerprint: 64 bits that identify the ratings a model was
// trained on, whatever the file order, format or number of ranks, so a
// manifest (and later a checkpoint) can say which data it belongs to.
#pragma once

#include <string>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// Collective: 16 hex digits. Sums (mod 2^64) of hashes of every
/// (user row, item row, rating) and of every ID token, so that the result
/// is independent of order and of how rows are spread over ranks.
[[nodiscard]] std::string fingerprint(const dist::Comm& comm, const RatingsData& data);

}  // namespace dmf::data
