#include "dmf/data/split_writer.hpp"

#include <memory>
#include <optional>

#include "dmf/dist/ordered_file_writer.hpp"
#include "dmf/io/line_parser.hpp"
#include "dmf/io/part_files.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::data {
namespace {

/// Bytes of input a rank copies per collective write round.
constexpr std::uint64_t kRoundBytes = 32ULL << 20U;

/// `text` with "\r\n" line ends made '\n', as they are for the copied lines.
std::string without_cr(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != '\r') out += c;
  }
  return out;
}

/// The preamble of one output file: the input's header line, or the
/// MatrixMarket banner with a size line that counts this subset.
std::string preamble(const io::Format& format, std::uint64_t entries) {
  if (format.kind == io::FormatKind::kMatrixMarket) {
    return fmt::format("{}{} {} {}\n", without_cr(format.mm_banner), format.mm_rows,
                       format.mm_cols, entries);
  }
  std::string text = without_cr(format.preamble);
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace

SubsetCounts write_split(const dist::Comm& comm, const RatingsData& data, const LoadOptions& load,
                         const std::vector<LineSubset>& decisions, const SplitOptions& options,
                         const std::array<std::string, 3>& paths, bool overwrite) {
  const LoadReport& report = data.report;
  const io::Format& format = report.format;

  const io::LineParser parser(format, load.rating_range);
  // The input again, as the load read it: a file or a directory of part
  // files (one output file each way, in the input's format).
  const auto input = comm.agree([&] { return io::PartFiles::open(report.path, load.format); });
  DMF_CHECK(input.size() == report.file_bytes, "{} changed while it was being split", report.path);
  const io::ByteRange range =
      io::split_range(format.data_begin, report.file_bytes, comm.rank(), comm.size());
  const std::uint64_t rounds_here = (range.end - range.begin + kRoundBytes - 1) / kRoundBytes;
  const std::uint64_t rounds = comm.allreduce(rounds_here, dist::Op::kMax);

  // Walks the input once, calling place(subset, line) for each kept line.
  auto copy_lines = [&](auto&& place) {
    std::uint64_t line = report.first_line[static_cast<std::size_t>(comm.rank())];
    std::size_t next = 0;  // decisions are sorted by line
    io::ParsedLine parsed;
    std::optional<io::LineError> error;
    std::optional<std::string> failure;
    for (std::uint64_t round = 0; round < rounds; ++round) {
      // A failure stops the reading but not the rounds: end_round may be a
      // collective write every rank must join.
      if (round < rounds_here && !failure) {
        try {
          const io::ByteRange part{range.begin + round * kRoundBytes,
                                   std::min(range.end, range.begin + (round + 1) * kRoundBytes)};
          io::read_lines(input, part, [&](std::string_view text, std::uint64_t /*index*/) {
            if (next < decisions.size() && decisions[next].line == line) {
              const LineSubset& d = decisions[next++];
              Subset subset = d.subset;
              if (!d.decided) {
                DMF_CHECK(parser.parse(text, parsed, error), "{}:{}: the line changed while splitting",
                          report.path, line);
                subset = random_subset(options, parsed.user, parsed.item);
              }
              place(subset, text);
            }
            ++line;
          });
        } catch (const std::exception& e) {
          failure = e.what();
        }
      }
      place.end_round();
    }
    if (failure) throw Error(*failure);
    DMF_CHECK(next == decisions.size() &&
                  line == report.first_line[static_cast<std::size_t>(comm.rank()) + 1],
              "{} changed while it was being split", report.path);
  };

  // A MatrixMarket size line counts its entries before they are written:
  // place undecided lines in a dry pass first. Other formats count as they copy.
  SubsetCounts counts{};
  const bool count_first = format.kind == io::FormatKind::kMatrixMarket;
  if (count_first) {
    struct Counter {
      SubsetCounts* counts;
      void operator()(Subset s, std::string_view /*text*/) const {
        ++(*counts)[static_cast<std::size_t>(s)];
      }
      void end_round() const {}
    };
    comm.agree([&] { copy_lines(Counter{&counts}); });
    comm.allreduce(std::span<std::uint64_t>(counts), dist::Op::kSum);
  }

  std::array<std::unique_ptr<dist::OrderedFileWriter>, 3> writers;
  for (std::size_t s = 0; s < paths.size(); ++s) {
    if (paths[s].empty()) continue;
    writers[s] = std::make_unique<dist::OrderedFileWriter>(comm, paths[s], overwrite);
    writers[s]->append(comm.is_root() ? preamble(format, counts[s]) : std::string());
  }

  struct Copier {
    std::array<std::string, 3> buffers;
    std::array<std::unique_ptr<dist::OrderedFileWriter>, 3>* writers;
    SubsetCounts counts{};
    void operator()(Subset s, std::string_view text) {
      // Lines keep their bytes; line ends become '\n'.
      while (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      auto& buffer = buffers[static_cast<std::size_t>(s)];
      buffer.append(text);
      buffer.push_back('\n');
      ++counts[static_cast<std::size_t>(s)];
    }
    void end_round() {
      for (std::size_t s = 0; s < buffers.size(); ++s) {
        if ((*writers)[s]) (*writers)[s]->append(buffers[s]);
        buffers[s].clear();
      }
    }
  };
  Copier copier{{}, &writers, {}};
  std::optional<std::string> error;
  try {
    copy_lines(copier);
  } catch (const std::exception& e) {
    error = e.what();  // the rounds are collective: finish them before agreeing
  }
  comm.raise_if_any(error);
  for (auto& writer : writers) {
    if (writer) writer->commit();
  }
  comm.allreduce(std::span<std::uint64_t>(copier.counts), dist::Op::kSum);
  return copier.counts;
}

}  // namespace dmf::data
