// A file of IDs, one a line: the users `dmf recommend --users` ranks for,
// the items of `--candidates` and `--exclude`, the query items of
// `dmf similar --items`. Read by byte range like a ratings file, so no
// rank reads the whole of it.
//
// The format: a line is one ID, spelled as in the ratings file; spaces, tabs
// and a '\r' around it are trimmed and blank lines skipped. There is no
// header and no comment syntax (an ID may begin with '#'). A line holding a
// comma or a tab between two words is refused: it is a ratings line or a
// CSV row, not an ID, and taking it whole would match nothing silently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dmf/data/token_table.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::eval {

/// This rank's share of an ID file, in file order.
struct IdLines {
  data::TokenTable ids;
  std::vector<std::uint64_t> lines;  // per ID: its 1-based line in the file
};

/// Collective: this rank's IDs of `path`. A malformed line (an ID too long,
/// or two fields) is an error naming path:line, raised on every rank.
[[nodiscard]] IdLines read_id_lines(const dist::Comm& comm, const std::string& path);

}  // namespace dmf::eval
