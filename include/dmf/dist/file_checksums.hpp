// The checksums of a directory's files (io/checksum.hpp), computed and
// verified by all ranks together: chunk c of the list of every file's chunks
// is read by rank c mod P.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/dist/comm.hpp"

namespace dmf::dist {

/// Collective. The checksums of `files` (paths relative to `dir`), as a JSON
/// object: {"FILE": {"bytes": N, "xxh3_64": ["16 hex digits", ...]}, ...}.
[[nodiscard]] nlohmann::json checksum_files(const Comm& comm, const std::string& dir,
                                            const std::vector<std::string>& files);

/// Collective. Checks every file listed in `checksums` (as checksum_files
/// returns it) against its size and digests; raises one error on every rank
/// naming the first file that is missing, has another size, or another
/// digest.
void verify_files(const Comm& comm, const std::string& dir, const nlohmann::json& checksums);

}  // namespace dmf::dist
