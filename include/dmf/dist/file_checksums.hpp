// The checksums of a directory's files (io/checksum.hpp), verified by all
// ranks together: chunk c of the list of every file's chunks is read by
// rank c mod P. (They are computed as the files are written:
// dist/file_digests.hpp.)
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/dist/comm.hpp"

namespace dmf::dist {

/// Collective. Checks every file listed in `checksums`, the "files" of a
/// manifest ({"FILE": {"bytes": N, "xxh3_64": ["16 hex digits", ...]}, ...},
/// FILE relative to `dir`), against its size and digests; raises one error
/// on every rank naming the first file that is missing, has another size,
/// or another digest.
void verify_files(const Comm& comm, const std::string& dir, const nlohmann::json& checksums);

}  // namespace dmf::dist
