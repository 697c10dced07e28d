#include "dmf/cli/ini.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "dmf/core/error.hpp"

namespace dmf::cli {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::vector<IniEntry> read_ini(const std::string& path) {
  std::error_code ec;
  const auto type = std::filesystem::status(path, ec).type();
  if (type == std::filesystem::file_type::directory) fail("config file {} is a directory", path);
  // Checked before opening: opening a FIFO that has no writer blocks for ever.
  if (!ec && type != std::filesystem::file_type::regular) {
    fail("cannot read config file {}: not a regular file", path);
  }
  std::ifstream in(path);
  if (!in) fail("cannot read config file {}: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ini(text.str(), path);
}

std::vector<IniEntry> parse_ini(std::string_view contents, std::string_view path) {
  std::istringstream in{std::string(contents)};
  std::vector<IniEntry> entries;
  std::map<std::string, std::uint64_t, std::less<>> seen;
  std::string raw;
  std::uint64_t line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string_view text = raw;
    if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    text = trim(text);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    if (text.front() == '[') {
      if (text.back() != ']') fail("{}:{}: unterminated section header: {}", path, line, text);
      continue;
    }
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) {
      fail("{}:{}: expected 'key = value', got: {}", path, line, text);
    }
    std::string key(trim(text.substr(0, eq)));
    std::string_view value = trim(text.substr(eq + 1));
    if (key.starts_with("--")) key.erase(0, 2);  // tolerate `--rank = 8`
    if (key.empty()) fail("{}:{}: missing key before '='", path, line);
    if (value.size() >= 2 && value.front() == '"') {
      // A quoted value is taken as it is, '#' included.
      const auto close = value.find('"', 1);
      if (close == std::string_view::npos) fail("{}:{}: unterminated quote: {}", path, line, text);
      value = value.substr(1, close - 1);
    } else {
      // An inline comment starts at a '#' or ';' after a blank: `rank = 8  # why`.
      for (std::size_t k = 1; k < value.size(); ++k) {
        if ((value[k] == '#' || value[k] == ';') &&
            (value[k - 1] == ' ' || value[k - 1] == '	')) {
          value = trim(value.substr(0, k));
          break;
        }
      }
    }
    if (const auto it = seen.find(key); it != seen.end()) {
      fail("{}:{}: '{}' is already set at line {}", path, line, key, it->second);
    }
    seen.emplace(key, line);
    entries.push_back({std::move(key), std::string(value), line});
  }
  return entries;
}

}  // namespace dmf::cli
