// The config-file format: INI, one `key = value` per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dmf::cli {

struct IniEntry {
  std::string key;
  std::string value;
  std::uint64_t line = 0;
};

/// Reads `path`. Blank lines and lines starting with '#' or ';' are comments,
/// and so is the rest of a line from a '#' or ';' after a blank; `[section]`
/// headers are allowed for grouping and do not change key names; a value in
/// double quotes is taken as it is. A malformed line or a key given
/// twice is a dmf::Error naming path:line.
[[nodiscard]] std::vector<IniEntry> read_ini(const std::string& path);

/// Parses `contents` as read_ini parses a file's; errors name `path`:line.
/// For INI text kept inside another file, like the effective configuration
/// that dmf train writes into its manifest.
[[nodiscard]] std::vector<IniEntry> parse_ini(std::string_view contents, std::string_view path);

}  // namespace dmf::cli
