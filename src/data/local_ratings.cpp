#include "local_ratings.hpp"

#include <algorithm>

#include "dmf/data/token_interner.hpp"
#include "dmf/dist/strings.hpp"
#include "dmf/io/line_parser.hpp"

namespace dmf::data::detail {
namespace {

constexpr std::size_t kMaxBadLineExamples = 10;
constexpr std::size_t kMaxShownLineBytes = 160;

/// Thrown inside the line callback to stop reading at the first bad line.
struct StopReading {};

/// A bad line met on this rank, before its global line number is known.
struct BadLine {
  std::uint64_t index = 0;  // among the lines of this rank's range
  std::string what;
  std::string text;
};

}  // namespace

std::string printable(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  std::string out;
  for (const char c : line.substr(0, kMaxShownLineBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 && c != '\t') || byte == 0x7f ? '?' : c;
  }
  if (line.size() > kMaxShownLineBytes) out += "...";
  return out;
}

LocalRatings read_local_ratings(const dist::Comm& comm, const std::string& path,
                                const io::Format& format, io::ByteRange range,
                                const LoadOptions& options) {
  LocalRatings local;
  TokenInterner users;
  TokenInterner items;
  const io::LineParser parser(format, options.rating_range);
  const bool stop_at_first = options.bad_lines == BadLinePolicy::kError;
  std::vector<BadLine> bad;
  std::uint64_t bad_here = 0;
  std::uint64_t lines_here = 0;

  // Reserve from the range size: about one rating per 20 bytes is typical.
  const std::size_t guess = static_cast<std::size_t>((range.end - range.begin) / 20);
  local.users.reserve(guess);
  local.items.reserve(guess);
  local.values.reserve(guess);
  local.lines.reserve(guess);

  std::optional<std::string> read_error;
  try {
    io::ParsedLine parsed;
    std::optional<io::LineError> error;
    lines_here = io::read_lines(path, range, [&](std::string_view line, std::uint64_t index) {
      if (!parser.parse(line, parsed, error)) {
        if (!error) return;  // blank line or comment
        ++bad_here;
        if (bad.size() < kMaxBadLineExamples) bad.push_back({index, *error, printable(line)});
        error.reset();
        if (stop_at_first) {
          lines_here = index + 1;
          throw StopReading{};
        }
        return;
      }
      const std::uint32_t u = users.intern(parsed.user);
      const std::uint32_t i = items.intern(parsed.item);
      if (u == local.user_counts.size()) local.user_counts.push_back(0);
      if (i == local.item_counts.size()) local.item_counts.push_back(0);
      ++local.user_counts[u];
      ++local.item_counts[i];
      local.users.push_back(u);
      local.items.push_back(i);
      local.values.push_back(parsed.rating);
      if (options.keep_time) local.times.push_back(parsed.time);
      local.lines.push_back(index);
    });
  } catch (const StopReading&) {
    // lines_here was set where reading stopped
  } catch (const std::exception& e) {
    read_error = e.what();
  }
  comm.raise_if_any(read_error);

  // Global line numbers: ranks read consecutive parts of the file. Under
  // --bad-lines error only ranks before the first failing one matter, and
  // they read their whole range.
  const std::uint64_t first_line = format.data_begin_line + comm.exscan_sum(lines_here);
  for (auto& line : local.lines) line += first_line;
  auto describe = [&](const BadLine& b) {
    return fmt::format("{}:{}: {}: {}", path, first_line + b.index, b.what, b.text);
  };
  if (stop_at_first) {
    comm.raise_if_any(bad.empty() ? std::nullopt : std::optional<std::string>(describe(bad[0])));
  }

  local.lines_per_rank = comm.allgather(lines_here);
  for (const auto n : local.lines_per_rank) local.lines_seen += n;
  local.bad_lines = comm.allreduce(bad_here, dist::Op::kSum);
  if (local.bad_lines > 0) {
    std::vector<std::string> mine;
    for (const auto& b : bad) mine.push_back(describe(b));
    local.bad_line_examples = dist::allgather_strings(comm, mine);  // in file order
    if (local.bad_line_examples.size() > kMaxBadLineExamples) {
      local.bad_line_examples.resize(kMaxBadLineExamples);
    }
  }
  local.user_tokens = users.release();
  local.item_tokens = items.release();
  return local;
}

}  // namespace dmf::data::detail
