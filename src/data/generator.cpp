// dmf generate's parallel writer: each rank formats a contiguous block of
// users (threads over sub-blocks) and the blocks land in rank order.
#include <algorithm>
#include <charconv>
#include <filesystem>

#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/generator.hpp"
#include "dmf/data/partition.hpp"
#include "dmf/dist/ordered_file_writer.hpp"

namespace dmf::data {
namespace {

/// Ratings formatted per rank between two collective writes (~40 MB of text).
constexpr std::uint64_t kRatingsPerRound = 1'500'000;

io::FormatKind format_for(const std::string& path, io::FormatKind requested) {
  if (requested != io::FormatKind::kAuto) return requested;
  const std::filesystem::path p(path);
  const std::string ext = p.extension().string();
  if (ext == ".tsv" || ext == ".tab") return io::FormatKind::kTsv;
  if (ext == ".dat") return io::FormatKind::kMovieLens;
  if (ext == ".mtx" || ext == ".mm") return io::FormatKind::kMatrixMarket;
  if (p.filename() == "u.data" || ext == ".data") return io::FormatKind::kUData;
  if (ext == ".libmf") return io::FormatKind::kLibmf;
  return io::FormatKind::kCsv;
}

std::string header(io::FormatKind kind, const GeneratorOptions& o) {
  switch (kind) {
    case io::FormatKind::kCsv: return "user,item,rating,time\n";
    case io::FormatKind::kTsv: return "user\titem\trating\ttime\n";
    case io::FormatKind::kMatrixMarket:
      return fmt::format(
          "%%MatrixMarket matrix coordinate real general\n"
          "% dmf generate: true rank {}, noise {}, skew {}, scale {}, seed {}\n{} {} {}\n",
          o.true_rank, o.noise, o.skew, format_value(o.scale), o.seed, o.users, o.items, o.ratings);
    default: return {};
  }
}

/// Appends one rating line; IDs are 1-based.
void append_line(std::string& out, io::FormatKind kind, std::uint64_t user,
                 const SyntheticModel::Rating& r) {
  char buffer[128];
  char* at = buffer;
  char* const end = buffer + sizeof(buffer);
  auto number = [&](auto value) { at = std::to_chars(at, end, value).ptr; };
  auto text = [&](std::string_view s) { at = std::copy(s.begin(), s.end(), at); };
  const std::string_view sep = kind == io::FormatKind::kCsv        ? ","
                               : kind == io::FormatKind::kMovieLens ? "::"
                               : kind == io::FormatKind::kLibmf || kind == io::FormatKind::kMatrixMarket
                                   ? " "
                                   : "\t";
  number(user + 1);
  text(sep);
  number(r.item + 1);
  text(sep);
  number(r.value);  // shortest text that reads back as the same float: 4, 3.5
  // LIBMF text and MatrixMarket have no time column.
  if (kind != io::FormatKind::kLibmf && kind != io::FormatKind::kMatrixMarket) {
    text(sep);
    number(r.time);
  }
  *at++ = '\n';
  out.append(buffer, static_cast<std::size_t>(at - buffer));
}

}  // namespace

GenerateReport generate_ratings(const dist::Comm& comm, const GeneratorOptions& options,
                                const std::string& path, io::FormatKind requested, bool overwrite,
                                int threads) {
  Stopwatch clock;
  const SyntheticModel model = comm.agree([&] { return SyntheticModel(options); });
  const io::FormatKind kind = format_for(path, requested);

  // This rank's users: a contiguous block holding about 1/P of the ratings.
  std::uint64_t first = options.users;
  std::uint64_t last = 0;
  std::uint64_t prefix = 0;
  for (std::uint64_t u = 0; u < options.users; ++u) {
    const std::uint64_t n = model.ratings_of(u);
    if (part_of(prefix, n, options.ratings, comm.size()) == comm.rank()) {
      first = std::min(first, u);
      last = u + 1;
    }
    prefix += n;
  }
  if (last == 0) first = last;

  // Rounds of users, each a bounded amount of text.
  std::vector<std::uint64_t> round_starts{first};
  std::uint64_t in_round = 0;
  for (std::uint64_t u = first; u < last; ++u) {
    in_round += model.ratings_of(u);
    if (in_round >= kRatingsPerRound && u + 1 < last) {
      round_starts.push_back(u + 1);
      in_round = 0;
    }
  }
  round_starts.push_back(last);
  const std::uint64_t my_rounds = round_starts.size() - 1;
  const std::uint64_t rounds = comm.allreduce(my_rounds, dist::Op::kMax);

  dist::OrderedFileWriter writer(comm, path, overwrite);
  writer.append(comm.is_root() ? header(kind, options) : std::string());
  const int chunks = std::max(1, threads);
  std::vector<std::string> parts(static_cast<std::size_t>(chunks));
  std::string text;
  for (std::uint64_t round = 0; round < rounds; ++round) {
    text.clear();
    if (round < my_rounds) {
      const std::uint64_t begin = round_starts[round];
      const std::uint64_t users = round_starts[round + 1] - begin;
      // Each thread formats a contiguous run of users; joined in order, the
      // text does not depend on the thread count.
      parallel_for(threads, chunks, [&](std::int64_t c) {
        auto& part = parts[static_cast<std::size_t>(c)];
        part.clear();
        const std::uint64_t from = begin + users * static_cast<std::uint64_t>(c) / static_cast<std::uint64_t>(chunks);
        const std::uint64_t to = begin + users * static_cast<std::uint64_t>(c + 1) / static_cast<std::uint64_t>(chunks);
        for (std::uint64_t u = from; u < to; ++u) {
          for (const auto& r : model.ratings_for(u)) append_line(part, kind, u, r);
        }
      });
      for (const auto& part : parts) text += part;
    }
    writer.append(text);
  }
  writer.commit();
  return {options.ratings, writer.size(), comm.allreduce(clock.seconds(), dist::Op::kMax)};
}

}  // namespace dmf::data
