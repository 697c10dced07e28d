#include "dmf/data/local_ratings.hpp"

#include <algorithm>

#include "dmf/core/parallel.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/token_interner.hpp"
#include "dmf/dist/strings.hpp"
#include "dmf/io/line_parser.hpp"

namespace dmf::data {
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

namespace {

/// Ratings per chunk of a thread's part: parts grow a chunk at a time and
/// are copied once into arrays of the exact size (no vector doubling).
constexpr std::size_t kChunkRatings = std::size_t{1} << 20U;

/// A full or filling chunk of one thread's ratings; IDs are the thread's.
struct Chunk {
  std::vector<std::uint32_t> users;
  std::vector<std::uint32_t> items;
  std::vector<float> values;
  std::vector<std::int64_t> times;
  std::vector<std::uint64_t> lines;  // index among the part's lines

  Chunk(bool with_times, bool with_lines) {
    users.reserve(kChunkRatings);
    items.reserve(kChunkRatings);
    values.reserve(kChunkRatings);
    if (with_times) times.reserve(kChunkRatings);
    if (with_lines) lines.reserve(kChunkRatings);
  }
  [[nodiscard]] std::size_t size() const noexcept { return values.size(); }
};

/// What one thread parsed of its part of the rank's range. Lines are
/// numbered from 0 within the part; IDs within the part's interners.
struct PartResult {
  std::vector<Chunk> chunks;
  TokenTable user_tokens;
  TokenTable item_tokens;
  std::vector<std::uint64_t> user_counts;
  std::vector<std::uint64_t> item_counts;
  std::vector<BadLine> bad;
  std::uint64_t bad_count = 0;
  std::uint64_t lines = 0;
  std::vector<std::uint64_t> file_lines;  // lines read of each file of the input
  std::uint64_t entries = 0;              // lines holding a rating, bad or kept or not
  bool stopped = false;                   // stopped at a bad line (--bad-lines error)
  std::optional<std::string> failure;

  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const auto& c : chunks) n += c.size();
    return n;
  }
};

/// Longer lines are refused as a binary file (as io::read_lines does).
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20U;

/// `reports`: this part calls options.on_progress (one part per rank does).
PartResult parse_part(const io::PartFiles& input, io::ByteRange range, const LoadOptions& options,
                      bool with_lines, bool reports) {
  PartResult part;
  const io::Format& format = input.format();
  part.file_lines.assign(input.parts().size(), 0);
  TokenInterner users;
  TokenInterner items;
  const io::LineParser parser(format, options.rating_range);
  const bool stop_at_first = options.bad_lines == BadLinePolicy::kError;
  const bool with_times = options.keep_time;
  try {
    io::ParsedLine parsed;
    io::PlainLine plain;
    std::optional<io::LineError> error;
    const auto range_bytes =
        static_cast<double>(std::max<std::uint64_t>(1, range.end - range.begin));
    std::uint64_t bytes_read = 0;
    const bool report = reports && options.on_progress;
    Chunk* chunk = nullptr;
    io::read_line_blocks(
        input, range, [&](std::string_view block, std::uint64_t offset, std::size_t file) {
          const char* const base = block.data();
          std::uint64_t& file_lines = part.file_lines[file];
          io::for_each_line(block, [&](std::string_view line) {
            const std::uint64_t index = part.lines++;
            ++file_lines;
            if (line.size() > kMaxLineBytes) {
              fail(
                  "cannot read {}: the line at byte {} is longer than {} bytes (is it a binary "
                  "file?)",
                  input.parts()[file].path,
                  offset - input.parts()[file].offset +
                      static_cast<std::uint64_t>(line.data() - base),
                  kMaxLineBytes);
            }
            std::uint32_t u = 0;
            std::uint32_t i = 0;
            if (parser.parse_plain(line, plain)) {  // the usual line
              ++part.entries;
              if (options.keep && !options.keep(plain.user, plain.item)) return;
              u = users.intern_canonical(plain.user_value, plain.user);
              i = items.intern_canonical(plain.item_value, plain.item);
              parsed.rating = plain.rating;
              parsed.time = plain.time;
            } else {
              if (!parser.parse(line, parsed, error)) {
                if (!error) return;  // blank line or comment
                ++part.entries;
                ++part.bad_count;
                if (part.bad.size() < kMaxBadLineExamples)
                  part.bad.push_back({index, *error, printable(line)});
                error.reset();
                if (stop_at_first) throw StopReading{};
                return;
              }
              ++part.entries;
              if (options.keep && !options.keep(parsed.user, parsed.item)) return;
              u = users.intern(parsed.user);
              i = items.intern(parsed.item);
            }
            if (u == part.user_counts.size()) part.user_counts.push_back(0);
            if (i == part.item_counts.size()) part.item_counts.push_back(0);
            ++part.user_counts[u];
            ++part.item_counts[i];
            if (chunk == nullptr || chunk->size() == kChunkRatings) {
              chunk = &part.chunks.emplace_back(with_times, with_lines);
            }
            chunk->users.push_back(u);
            chunk->items.push_back(i);
            chunk->values.push_back(parsed.rating);
            if (with_times) chunk->times.push_back(parsed.time);
            if (with_lines) chunk->lines.push_back(index);
          });
          // After each block (a few MiB): often enough for a live line, rare
          // enough to cost nothing.
          bytes_read += block.size();
          if (report)
            options.on_progress(std::min(1.0, static_cast<double>(bytes_read) / range_bytes));
        });
  } catch (const StopReading&) {
    part.stopped = true;  // part.lines counts the lines up to the bad one
  } catch (const std::exception& e) {
    part.failure = e.what();
  }
  part.user_tokens = users.release();
  part.item_tokens = items.release();
  return part;
}

/// The index (among the lines of `range`) and text of the line holding the
/// `n`th (0-based) entry of the range: a line that is neither blank nor a
/// comment.
std::pair<std::uint64_t, std::string> entry_line(const std::string& path, const io::Format& format,
                                                 io::ByteRange range, std::uint64_t n) {
  const io::LineParser parser(format);
  io::ParsedLine parsed;
  std::optional<io::LineError> error;
  std::uint64_t seen = 0;
  std::pair<std::uint64_t, std::string> found;
  try {
    (void)io::read_lines(path, range, [&](std::string_view line, std::uint64_t index) {
      if (!parser.parse(line, parsed, error) && !error) return;
      if (seen++ < n) return;
      found = {index, printable(line)};
      throw StopReading{};
    });
  } catch (const StopReading&) {
  }
  return found;
}

/// Collective: throws on every rank unless the file holds exactly the
/// entries its MatrixMarket size line declares; `entries` are this rank's,
/// `first_line` the number of its range's first line. Writers that cut a
/// file short or append to it leave this mismatch, and nothing else shows it.
void check_entry_count(const dist::Comm& comm, const std::string& path, const io::Format& format,
                       io::ByteRange range, std::uint64_t entries, std::uint64_t first_line) {
  const std::uint64_t declared = format.mm_entries;
  const std::uint64_t size_line = format.data_begin_line - 1;
  const std::uint64_t total = comm.allreduce(entries, dist::Op::kSum);
  if (total < declared) {
    throw Error(
        fmt::format("{}: the size line (line {}) declares {} entries, but the file holds {}", path,
                    size_line, declared, total),
        /*collective=*/true);
  }
  if (total == declared) return;
  // The rank holding entry declared + 1 names its line.
  const std::uint64_t before = comm.exscan_sum(entries);
  std::optional<std::string> message;
  if (before <= declared && declared < before + entries) {
    const auto [index, text] = entry_line(path, format, range, declared - before);
    message = fmt::format(
        "{}:{}: entry {}, beyond the {} entries the size line (line {}) "
        "declares: {}",
        path, first_line + index, declared + 1, declared, size_line, text);
  }
  comm.raise_if_any(message);
}

/// Appends `from`'s IDs to `into`'s and returns where each went.
std::vector<std::uint32_t> merge_ids(TokenInterner& into, const TokenTable& from) {
  std::vector<std::uint32_t> ids(from.size());
  for (std::size_t k = 0; k < from.size(); ++k) ids[k] = into.intern(from[k]);
  return ids;
}

/// Joins the threads' parts, in file order, into one rank's ratings, in
/// arrays of their final size; the parts' line numbers become offsets in
/// the rank's range. The IDs are renumbered part by part, then `threads`
/// threads copy the chunks, each freed once copied.
void merge_parts(std::vector<PartResult>& parts, LocalRatings& local, std::vector<BadLine>& bad,
                 std::uint64_t& bad_count, std::uint64_t& lines, std::uint64_t& entries,
                 std::vector<std::uint64_t>& file_lines, bool with_times, bool with_lines,
                 int threads) {
  std::size_t used = 0;  // parts read before the first bad line ends the rank's reading
  std::size_t total = 0;
  while (used < parts.size()) {
    total += parts[used].size();
    if (parts[used++].stopped) break;
  }
  local.users.resize(total);
  local.items.resize(total);
  local.values.resize(total);
  if (with_times) local.times.resize(total);
  if (with_lines) local.lines.resize(total);

  // Where each part's IDs go (none to renumber for one part), its lines
  // and ratings begin.
  struct Placement {
    std::vector<std::uint32_t> user_ids;
    std::vector<std::uint32_t> item_ids;
    std::uint64_t first_line = 0;
  };
  std::vector<Placement> placed(used);
  const bool one_part = used == 1;
  TokenInterner users;
  TokenInterner items;
  for (std::size_t p = 0; p < used; ++p) {
    PartResult& part = parts[p];
    if (one_part) {
      local.user_tokens = std::move(part.user_tokens);
      local.item_tokens = std::move(part.item_tokens);
      local.user_counts = std::move(part.user_counts);
      local.item_counts = std::move(part.item_counts);
    } else {
      placed[p].user_ids = merge_ids(users, part.user_tokens);
      placed[p].item_ids = merge_ids(items, part.item_tokens);
      part.user_tokens = TokenTable();
      part.item_tokens = TokenTable();
      local.user_counts.resize(users.size(), 0);
      local.item_counts.resize(items.size(), 0);
      for (std::size_t k = 0; k < placed[p].user_ids.size(); ++k)
        local.user_counts[placed[p].user_ids[k]] += part.user_counts[k];
      for (std::size_t k = 0; k < placed[p].item_ids.size(); ++k)
        local.item_counts[placed[p].item_ids[k]] += part.item_counts[k];
    }
    placed[p].first_line = lines;
    for (auto& b : part.bad) {
      if (bad.size() < kMaxBadLineExamples)
        bad.push_back({lines + b.index, std::move(b.what), std::move(b.text)});
    }
    bad_count += part.bad_count;
    lines += part.lines;
    entries += part.entries;
    for (std::size_t f = 0; f < part.file_lines.size(); ++f) file_lines[f] += part.file_lines[f];
  }
  if (!one_part) {
    local.user_tokens = users.release();
    local.item_tokens = items.release();
  }

  // Every chunk's place in the arrays, then the copies side by side.
  struct Piece {
    std::size_t part;
    Chunk* chunk;
    std::size_t at;
  };
  std::vector<Piece> pieces;
  std::size_t at = 0;
  for (std::size_t p = 0; p < used; ++p) {
    for (auto& chunk : parts[p].chunks) {
      pieces.push_back({p, &chunk, at});
      at += chunk.size();
    }
  }
  parallel_for(threads, static_cast<std::int64_t>(pieces.size()), [&](std::int64_t k) {
    const Piece& piece = pieces[static_cast<std::size_t>(k)];
    Chunk& chunk = *piece.chunk;
    const Placement& place = placed[piece.part];
    const std::size_t n = chunk.size();
    const auto to = static_cast<std::ptrdiff_t>(piece.at);
    if (one_part) {
      std::copy(chunk.users.begin(), chunk.users.end(), local.users.begin() + to);
      std::copy(chunk.items.begin(), chunk.items.end(), local.items.begin() + to);
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        local.users[piece.at + j] = place.user_ids[chunk.users[j]];
        local.items[piece.at + j] = place.item_ids[chunk.items[j]];
      }
    }
    std::copy(chunk.values.begin(), chunk.values.end(), local.values.begin() + to);
    if (with_times) std::copy(chunk.times.begin(), chunk.times.end(), local.times.begin() + to);
    if (with_lines) {
      for (std::size_t j = 0; j < n; ++j)
        local.lines[piece.at + j] = place.first_line + chunk.lines[j];
    }
    chunk = Chunk(false, false);  // free as we go
  });
  for (auto& part : parts) part = PartResult{};
}

}  // namespace

LocalRatings read_local_ratings(const dist::Comm& comm, const io::PartFiles& input,
                                io::ByteRange range, const LoadOptions& options, bool with_lines) {
  const std::string& path = input.path();
  const io::Format& format = input.format();
  // Threads read consecutive parts of the rank's range (the same line rule
  // as between ranks), then their parts are joined in order.
  const int threads = std::max(1, options.threads);
  std::vector<PartResult> parts(static_cast<std::size_t>(threads));
  parallel_for(threads, threads, [&](std::int64_t t) {
    const io::ByteRange sub = io::split_range(range.begin, range.end, static_cast<int>(t), threads);
    parts[static_cast<std::size_t>(t)] = parse_part(input, sub, options, with_lines, t == 0);
  });
  std::optional<std::string> read_error;
  for (const auto& p : parts) {
    if (p.failure && !read_error) read_error = p.failure;
  }
  comm.raise_if_any(read_error);

  LocalRatings local;
  std::vector<BadLine> bad;
  std::uint64_t bad_here = 0;
  std::uint64_t lines_here = 0;
  std::uint64_t entries_here = 0;
  std::vector<std::uint64_t> file_lines(input.parts().size(), 0);
  merge_parts(parts, local, bad, bad_here, lines_here, entries_here, file_lines, options.keep_time,
              with_lines, threads);
  const bool stop_at_first = options.bad_lines == BadLinePolicy::kError;

  // Global line numbers: ranks read consecutive parts of the file. Under
  // --bad-lines error only ranks before the first failing one matter, and
  // they read their whole range.
  const std::uint64_t first_line = format.data_begin_line + comm.exscan_sum(lines_here);
  for (auto& line : local.lines) line += first_line;
  // Line numbers count the lines of all part files in sequence; messages
  // name the part and its own line (docs/design.md §3).
  comm.allreduce(std::span<std::uint64_t>(file_lines), dist::Op::kSum);
  local.line_names = io::LineNames(input, file_lines);
  auto describe = [&](const BadLine& b) {
    return fmt::format("{}: {}: {}", local.line_names(path, first_line + b.index), b.what, b.text);
  };
  if (stop_at_first) {
    comm.raise_if_any(bad.empty() ? std::nullopt : std::optional<std::string>(describe(bad[0])));
  }
  if (format.kind == io::FormatKind::kMatrixMarket) {
    check_entry_count(comm, path, format, range, entries_here, first_line);
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
  return local;
}

LocalRatings read_ratings_here(const dist::Comm& comm, const std::string& path,
                               const LoadOptions& options, io::Format* format) {
  if (is_data_set_dir(comm, path)) return read_data_set_here(comm, path, options);
  const auto input = comm.agree([&] { return io::PartFiles::open(path, options.format); });
  const io::ByteRange range =
      io::split_range(input.format().data_begin, input.size(), comm.rank(), comm.size());
  if (format != nullptr) *format = input.format();
  LocalRatings ratings = read_local_ratings(comm, input, range, options);
  if (!options.pairs_once) return ratings;
  return merge_duplicate_pairs(comm, std::move(ratings), path, options);
}

}  // namespace dmf::data
