#include "dmf/eval/id_list.hpp"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "dmf/core/error.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/io/line_parser.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::eval {
namespace {

std::string_view trimmed(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line;
}

}  // namespace

IdLines read_id_lines(const dist::Comm& comm, const std::string& path) {
  IdLines out;
  std::uint64_t lines_here = 0;
  std::vector<std::uint64_t> indices;  // per ID: its 0-based index among this rank's lines
  // This rank's first bad line: its index here and what is wrong with it
  // (the global line number is known only after every rank has counted).
  std::optional<std::pair<std::uint64_t, std::string>> bad;
  comm.agree([&] {
    const io::ByteRange range = io::split_range(0, io::file_size(path), comm.rank(), comm.size());
    lines_here = io::read_lines(path, range, [&](std::string_view line, std::uint64_t index) {
      line = trimmed(line);
      if (line.empty() || bad) return;
      if (line.find_first_of(",\t") != std::string_view::npos) {
        bad.emplace(index, fmt::format("one ID per line expected, found '{}' (an ID list holds "
                                       "IDs alone: no ratings, no header)",
                                       data::printable(line)));
      } else if (line.size() > io::kMaxIdLength) {
        bad.emplace(index, fmt::format("an ID of {} bytes is too long", line.size()));
      } else {
        indices.push_back(index);
        out.ids.push(line);
      }
    });
  });
  // Ranks read consecutive ranges: a line's number is the count of lines
  // before this rank's range plus its index here.
  const std::uint64_t first = comm.exscan_sum(lines_here) + 1;
  comm.raise_if_any(bad ? std::optional<std::string>(
                              fmt::format("{}:{}: {}", path, first + bad->first, bad->second))
                        : std::nullopt);
  out.lines.reserve(indices.size());
  for (const std::uint64_t index : indices) out.lines.push_back(first + index);
  return out;
}

}  // namespace dmf::eval
