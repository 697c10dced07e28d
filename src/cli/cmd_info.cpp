// dmf info: what is in a ratings file, and how dmf would spread it over ranks.
#include <algorithm>
#include <array>
#include <numeric>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/load_with_progress.hpp"
#include "dmf/cli/train_memory.hpp"
#include "dmf/cli/train_options.hpp"
#include "dmf/core/memory.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/partition.hpp"
#include "dmf/data/summary.hpp"

namespace dmf::cli {
namespace {

struct InfoOptions {
  std::string data;
  data::LoadOptions load;
  int ranks = 0;
  int rank = ModelOptions{}.rank;  // train's --rank K, for the memory estimate
  bool json = false;
  int threads = 0;
};

void declare(ParamSet& params, InfoOptions& o) {
  params.section("Data");
  params.add("data", &o.data, "The ratings file (or a directory of part files)")
      .value_name("FILE")
      .required();
  declare_load_options(params, o.load);
  params.section("Report");
  params.add("ranks", &o.ranks,
             "Also show the ratings per rank that dmf's partitioner would give P ranks")
      .value_name("P")
      .at_least(0);
  // Spelled as in train, so a job is sized with the --rank it will train
  // with; the parser guesses no abbreviations, so --rank is never --ranks.
  params
      .add("rank", &o.rank,
           "The k (train's --rank) to estimate the memory each rank needs to train for")
      .value_name("K")
      .alias("k")
      .alias("factors")
      .at_least(1);
  params.flag("json", &o.json, "Print one JSON object instead of text");
  declare_threads(params, o.threads);
  params.example("dmf info --data ratings.csv",
                 "Users, items, ratings, density and the rating histogram");
  params.example("dmf info --data ratings.csv --ranks 64 --rank 128 --json",
                 "As JSON, with the ratings each of 64 ranks would hold and the memory each "
                 "would need to train k = 128 factors");
}

std::string column_list(const io::Format& format) {
  static constexpr std::array<std::string_view, 5> kNames{"user", "item", "rating", "time", "-"};
  std::vector<std::string_view> names;
  for (const auto column : format.columns) names.push_back(kNames.at(static_cast<std::size_t>(column)));
  return fmt::format("{}", fmt::join(names, ","));
}

/// Ratings per rank in user blocks and item blocks, for one rank count, and
/// the memory each rank would need to train.
struct Balance {
  std::vector<std::uint64_t> users;
  std::vector<std::uint64_t> items;
  std::vector<RankMemory> memory;
};

/// Collective: the Balance of `parts` ranks under the loader's partition
/// rule, with each rank's training memory for `k` factors, `threads`
/// threads and `solver`.
Balance balance_of(const dist::Comm& comm, const data::RatingsData& ratings, int parts, int k,
                   int threads, const solvers::SolverConfig& solver) {
  const data::PartSizes users = data::partition_sizes(comm, ratings.by_user, parts);
  const data::PartSizes items = data::partition_sizes(comm, ratings.by_item, parts);
  Balance b{users.ratings, items.ratings, {}};
  for (std::size_t p = 0; p < static_cast<std::size_t>(parts); ++p) {
    TrainShape shape;
    shape.local_users = users.rows[p];
    shape.local_items = items.rows[p];
    shape.total_users = ratings.users.total_rows();
    shape.total_items = ratings.items.total_rows();
    shape.user_ratings = users.ratings[p];
    shape.item_ratings = items.ratings[p];
    shape.k = k;
    shape.threads = threads;
    b.memory.push_back(rank_memory(shape, solver));
  }
  return b;
}

/// The smallest and largest of one part of the ranks' memory, and the rank
/// with the largest.
struct Spread {
  double min = 0.0;
  double max = 0.0;
  std::size_t max_rank = 0;
};

Spread spread(const std::vector<RankMemory>& ranks, double (*part)(const RankMemory&)) {
  Spread result{part(ranks.front()), part(ranks.front()), 0};
  for (std::size_t p = 1; p < ranks.size(); ++p) {
    const double bytes = part(ranks[p]);
    result.min = std::min(result.min, bytes);
    if (bytes > result.max) result = {result.min, bytes, p};
  }
  return result;
}

/// The parts of a RankMemory `dmf info` reports, by JSON key and text label.
struct MemoryRow {
  const char* key;
  const char* label;
  double (*bytes)(const RankMemory&);
};
constexpr std::array<MemoryRow, 4> kMemoryRows{{
    {"rating_blocks", "rating blocks", [](const RankMemory& m) { return m.blocks; }},
    {"factor_rows", "factor rows", [](const RankMemory& m) { return m.factors; }},
    {"solver_buffers", "solver buffers", [](const RankMemory& m) { return m.solver; }},
    {"total", "total", [](const RankMemory& m) { return m.total(); }},
}};

double imbalance(const std::vector<std::uint64_t>& loads) {
  const double total = static_cast<double>(std::accumulate(loads.begin(), loads.end(), std::uint64_t{0}));
  const double max = static_cast<double>(*std::ranges::max_element(loads));
  return total == 0.0 ? 1.0 : max / (total / static_cast<double>(loads.size()));
}

nlohmann::json degrees_json(const data::DegreeStats& d) {
  return {{"min", d.min}, {"p50", d.p50}, {"p90", d.p90}, {"p99", d.p99}, {"max", d.max},
          {"mean", d.mean}};
}

std::string degrees_text(const data::DegreeStats& d) {
  return fmt::format("min {}, p50 {}, p90 {}, p99 {}, max {}, mean {:.1f}", d.min, d.p50, d.p90,
                     d.p99, d.max, d.mean);
}

std::string loads_text(const std::vector<std::uint64_t>& loads) {
  const auto [min, max] = std::ranges::minmax_element(loads);
  return fmt::format("min {}, max {}, imbalance (max/mean) {:.3f}", *min, *max, imbalance(loads));
}

int run(Context& context, const InfoOptions& o, const ParamSet& /*params*/) {
  const auto& comm = context.comm;
  data::LoadOptions load = o.load;
  load.threads = comm.agree([&] { return resolve_threads(o.threads); });
  const data::RatingsData ratings = load_with_progress(context, o.data, load);
  const data::LoadReport& report = ratings.report;
  const data::DataSummary s = data::summarize(comm, ratings);
  // A data set directory has no text format: it says what it is instead.
  const bool data_set = data::is_data_set_dir(comm, o.data);
  const std::string format =
      data_set ? std::string("data set directory")
               : fmt::format("{}{}, columns {}", to_string(report.format.kind),
                             report.format.has_header ? ", header" : "", column_list(report.format));

  const std::uint64_t held = comm.allreduce(ratings.by_user.bytes() + ratings.by_item.bytes(), dist::Op::kSum);
  const double bytes_per_rating = static_cast<double>(held) / (2.0 * static_cast<double>(s.ratings));
  const std::uint64_t peak_rss = comm.allreduce(peak_rss_bytes(), dist::Op::kMax);
  const double seconds = comm.allreduce(report.seconds(), dist::Op::kMax);
  const double mb_per_s_per_rank = static_cast<double>(report.file_bytes) / 1e6 / seconds / comm.size();
  const double ratings_per_s_per_rank = static_cast<double>(report.ratings_read) / seconds / comm.size();

  // The current layout is computed by the same rule as --ranks P: it is the
  // layout the loader made (tests/mpi/rank_memory_test.cpp).
  const auto solver = default_solver_config();
  const std::string solver_name = solvers::default_solver();
  std::vector<std::pair<int, Balance>> balances;
  balances.emplace_back(comm.size(),
                        balance_of(comm, ratings, comm.size(), o.rank, load.threads, *solver));
  if (o.ranks > 0 && o.ranks != comm.size()) {
    balances.emplace_back(o.ranks,
                          balance_of(comm, ratings, o.ranks, o.rank, load.threads, *solver));
  }

  if (o.json) {
    nlohmann::json histogram = nlohmann::json::array();
    for (const auto& bin : s.histogram) {
      histogram.push_back({{"low", bin.low}, {"high", bin.high}, {"count", bin.count}});
    }
    nlohmann::json balance = nlohmann::json::array();
    for (const auto& [parts, b] : balances) {
      nlohmann::json memory = {
          {"estimate", true}, {"solver", solver_name}, {"k", o.rank}, {"threads", load.threads}};
      for (const auto& row : kMemoryRows) {
        const Spread spread_of_row = spread(b.memory, row.bytes);
        memory[row.key] = {{"min_bytes", spread_of_row.min},
                           {"max_bytes", spread_of_row.max},
                           {"max_on_rank", spread_of_row.max_rank}};
      }
      balance.push_back({{"ranks", parts},
                         {"user_block_ratings", b.users},
                         {"item_block_ratings", b.items},
                         {"user_imbalance", imbalance(b.users)},
                         {"item_imbalance", imbalance(b.items)},
                         {"train_memory", memory}});
    }
    const nlohmann::json out = {
        {"file", o.data},
        {"format", data_set ? std::string("data set") : to_string(report.format.kind)},
        {"columns", column_list(report.format)},
        {"header", report.format.has_header},
        {"bytes", report.file_bytes},
        {"users", s.users},
        {"items", s.items},
        {"ratings", s.ratings},
        {"density", s.density},
        {"rating", {{"min", s.rating_min}, {"max", s.rating_max}, {"mean", s.rating_mean},
                    {"histogram", histogram}}},
        {"user_degree", degrees_json(s.user_degrees)},
        {"item_degree", degrees_json(s.item_degrees)},
        {"duplicate_pairs", report.duplicate_pairs},
        {"duplicates_merged", report.duplicates_merged},
        {"bad_lines", report.bad_lines},
        {"bad_line_examples", report.bad_line_examples},
        {"load", {{"ranks", comm.size()},
                  {"threads", load.threads},
                  {"seconds", seconds},
                  {"read_seconds", comm.allreduce(report.read_seconds, dist::Op::kMax)},
                  {"index_seconds", comm.allreduce(report.index_seconds, dist::Op::kMax)},
                  {"route_seconds", comm.allreduce(report.route_seconds, dist::Op::kMax)},
                  {"mb_per_s_per_rank", mb_per_s_per_rank},
                  {"ratings_per_s_per_rank", ratings_per_s_per_rank},
                  {"peak_rss_bytes_max_rank", peak_rss},
                  {"bytes_per_rating_per_copy", bytes_per_rating}}},
        {"balance", balance},
    };
    context.console.out("{}\n", out.dump(2));
    return 0;
  }

  const auto& console = context.console;
  console.out("{} ({}; {:.1f} MB)\n", o.data, format, static_cast<double>(report.file_bytes) / 1e6);
  console.out("  ratings       {}\n", s.ratings);
  console.out("  users         {}\n", s.users);
  console.out("  items         {}\n", s.items);
  console.out("  density       {:.4g}%\n", 100.0 * s.density);
  // Ratings are stored as float: print them as such (0.13, not 0.1299999952).
  console.out("  rating        min {}, max {}, mean {:.4f}\n", static_cast<float>(s.rating_min),
              static_cast<float>(s.rating_max), s.rating_mean);
  const std::uint64_t largest = std::ranges::max(s.histogram, {}, &data::HistogramBin::count).count;
  for (const auto& bin : s.histogram) {
    const std::string label = bin.low == bin.high ? fmt::format("{}", bin.low)
                                                  : fmt::format("[{:.3g}, {:.3g})", bin.low, bin.high);
    const auto bar = static_cast<std::size_t>(40.0 * static_cast<double>(bin.count) / static_cast<double>(largest));
    console.out("  {:>12} {:>12} {:6.2f}%  {}\n", label, bin.count,
                100.0 * static_cast<double>(bin.count) / static_cast<double>(s.ratings), std::string(bar, '#'));
  }
  console.out("  user degree   {}\n", degrees_text(s.user_degrees));
  console.out("  item degree   {}\n", degrees_text(s.item_degrees));
  if (report.duplicate_pairs > 0) {
    console.out("  duplicates    {} pairs rated more than once; {} ratings merged ({})\n",
                report.duplicate_pairs, report.duplicates_merged, to_string(o.load.duplicates));
  }
  if (report.bad_lines > 0) {
    console.out("  bad lines     {} skipped; the first:\n", report.bad_lines);
    for (const auto& example : report.bad_line_examples) console.out("                {}\n", example);
  }
  for (const auto& [parts, b] : balances) {
    console.out("  on {} rank{}    user blocks: {}\n", parts, parts == 1 ? " " : "s", loads_text(b.users));
    console.out("                item blocks: {}\n", loads_text(b.items));
    console.out(
        "                memory to train ({}, --rank {}, {} thread(s) per rank; an "
        "estimate):\n",
        solver_name, o.rank, load.threads);
    for (const auto& row : kMemoryRows) {
      const Spread spread_of_row = spread(b.memory, row.bytes);
      console.out("                  {:<15} max {:>10} (rank {}), min {:>10}\n", row.label,
                  human_bytes(spread_of_row.max), spread_of_row.max_rank,
                  human_bytes(spread_of_row.min));
    }
  }
  console.out("  loaded in {:.3f} s on {} rank(s) x {} thread(s): {:.1f} MB/s and {:.3g} ratings/s per rank; "
              "{:.1f} bytes per rating per copy; peak RSS {:.1f} MB (largest rank)\n",
              seconds, comm.size(), load.threads, mb_per_s_per_rank, ratings_per_s_per_rank,
              bytes_per_rating, static_cast<double>(peak_rss) / 1e6);
  return 0;
}

}  // namespace

Command info_command() {
  return make_command<InfoOptions>(
      "info", "Describe a ratings file: counts, rating histogram, degrees, per-rank balance",
      declare, run);
}

}  // namespace dmf::cli
