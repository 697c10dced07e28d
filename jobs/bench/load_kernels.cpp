// The per-rating kernels of a load, one at a time: parsing a line, interning
// its two IDs, and building a block. Together they bound what `dmf info` can
// reach per rank; load.sh measures the whole.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/block_builder.hpp"
#include "dmf/data/token_interner.hpp"
#include "dmf/io/line_parser.hpp"

namespace {

constexpr int kLines = 1 << 20;

/// MovieLens-10M-like CSV lines: 70k users, 10k items, integer stars, times;
/// in random order, or grouped by user as MovieLens files are.
std::vector<std::string> csv_lines(bool string_ids, bool by_user = false) {
  dmf::Rng rng(1);
  std::vector<std::string> lines;
  lines.reserve(kLines);
  for (int k = 0; k < kLines; ++k) {
    const auto user = by_user ? static_cast<std::uint64_t>(k) * 70000 / kLines : rng.below(70000);
    const auto item = rng.below(10000);
    lines.push_back(string_ids ? fmt::format("u{:07},tt{:07},{},{}", user, item, 1 + rng.below(5),
                                             978300000 + k)
                               : fmt::format("{},{},{},{}", user, item, 1 + rng.below(5),
                                             978300000 + k));
  }
  return lines;
}

std::int64_t bytes_of(const std::vector<std::string>& lines) {
  std::int64_t bytes = 0;
  for (const auto& l : lines) bytes += static_cast<std::int64_t>(l.size()) + 1;
  return bytes;
}

dmf::io::Format csv_format() {
  dmf::io::Format format;
  format.kind = dmf::io::FormatKind::kCsv;
  format.separator = ",";
  format.columns = {dmf::io::Column::kUser, dmf::io::Column::kItem, dmf::io::Column::kRating,
                    dmf::io::Column::kTime};
  format.has_time = true;
  return format;
}

void BM_ParseLine(benchmark::State& state) {
  const auto lines = csv_lines(false);
  const auto format = csv_format();
  const dmf::io::LineParser parser(format);
  dmf::io::ParsedLine parsed;
  std::optional<dmf::io::LineError> error;
  for (auto _ : state) {
    for (const auto& line : lines) {
      parser.parse(line, parsed, error);
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetBytesProcessed(state.iterations() * bytes_of(lines));
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_ParseLine)->Unit(benchmark::kMillisecond);

void BM_InternIds(benchmark::State& state) {
  const bool string_ids = state.range(0) != 0;
  const bool by_user = state.range(1) != 0;
  const auto lines = csv_lines(string_ids, by_user);
  const auto format = csv_format();
  const dmf::io::LineParser parser(format);
  std::vector<dmf::io::ParsedLine> parsed(lines.size());
  std::optional<dmf::io::LineError> error;
  for (std::size_t k = 0; k < lines.size(); ++k) parser.parse(lines[k], parsed[k], error);
  for (auto _ : state) {
    dmf::data::TokenInterner users;
    dmf::data::TokenInterner items;
    for (const auto& p : parsed) {
      benchmark::DoNotOptimize(users.intern(p.user));
      benchmark::DoNotOptimize(items.intern(p.item));
    }
  }
  state.SetItemsProcessed(state.iterations() * kLines);
  state.SetLabel(fmt::format("{} IDs, {}", string_ids ? "string" : "integer",
                             by_user ? "grouped by user" : "random order"));
}
BENCHMARK(BM_InternIds)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond);

void BM_BuildBlock(benchmark::State& state) {
  const auto rows = static_cast<std::uint32_t>(state.range(0));
  const auto threads = static_cast<int>(state.range(1));
  dmf::Rng rng(2);
  std::vector<dmf::data::RoutedRating> ratings(kLines);
  for (int k = 0; k < kLines; ++k) {
    ratings[static_cast<std::size_t>(k)] = {static_cast<std::uint64_t>(k),
                                            static_cast<std::uint32_t>(rng.below(rows)),
                                            static_cast<std::uint32_t>(rng.below(70000)), 4.0F, 0};
  }
  for (auto _ : state) {
    auto built = dmf::data::build_block(0, rows, ratings, {}, dmf::data::DuplicatePolicy::kFirst,
                                        false, threads);
    benchmark::DoNotOptimize(built.block.columns.data());
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
// 70k rows: a user block (short rows); 10k rows: an item block (long rows);
// on 1 and 2 threads.
BENCHMARK(BM_BuildBlock)
    ->ArgsProduct({{70000, 10000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
