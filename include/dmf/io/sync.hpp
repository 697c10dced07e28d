// Flushing to stable storage what an atomic write depends on: a file's
// bytes, or a directory's entries after a rename into it.
#pragma once

#include <string>

namespace dmf::io {

/// fsync of the file or directory at `path`. Errors name the path and the
/// reason: what was written may not be on the disk.
void sync_path(const std::string& path);

}  // namespace dmf::io
