#include "dmf/cli/train_memory.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string_view>

#include "dmf/cli/params.hpp"

namespace dmf::cli {
namespace {

/// The registered solver `name`'s options, parsed from `args`.
std::shared_ptr<solvers::SolverConfig> solver_config(std::string_view name,
                                                     std::vector<std::string> args = {}) {
  ParamSet params("train", "");
  std::string solver;
  auto option = params.add("solver", &solver, "");
  // Every solver's config stays alive through the parse, as in train: the
  // parser writes into each and runs their checks.
  std::map<std::string_view, std::shared_ptr<solvers::SolverConfig>> configs;
  std::vector<std::shared_ptr<solvers::SolverConfig>> alive;
  for (const auto& entry : solvers::registered_solvers()) {
    alive.push_back(entry.declare(params, option));
    // The first entry of a name: its explicit-feedback form.
    configs.emplace(entry.name, alive.back());
  }
  params.parse(args);
  return configs.at(name);
}

TrainShape small_als() {
  TrainShape s;
  s.local_users = 100;
  s.local_items = 50;
  s.total_users = 200;
  s.total_items = 100;
  s.user_ratings = 1000;
  s.item_ratings = 1000;
  s.k = 9;  // rows of k + 1 = 10 floats: 40 bytes
  s.threads = 2;
  return s;
}

TEST(TrainMemory, AlsCountsRowsFetchedRowsScratchAndTheBackupCopy) {
  const auto parts = train_memory_estimate(small_als(), *solver_config("als"));
  ASSERT_EQ(parts.size(), 4U);
  EXPECT_DOUBLE_EQ(parts[0].bytes, 150 * 40.0);                       // own rows
  EXPECT_DOUBLE_EQ(parts[1].bytes, (100 + 200) * 40.0 + 150 * 40.0);  // fetched + packed
  EXPECT_DOUBLE_EQ(parts[2].bytes, 2 * 10 * 10 * 24.0);               // per-thread normal equations
  EXPECT_DOUBLE_EQ(parts[3].bytes, 150 * 40.0);                       // the step-back copy
  EXPECT_DOUBLE_EQ(total_bytes(parts), 6000 + 18000 + 4800 + 6000);
}

TEST(TrainMemory, GdReplicatesItemsAndKeepsOptimizerState) {
  TrainShape s = small_als();
  const auto adam = solver_config("gd", {"--optimizer", "adam"});  // 2 state arrays
  const auto parts = train_memory_estimate(s, *adam);
  const double params = 150 * 40.0 + 100 * 40.0;
  EXPECT_DOUBLE_EQ(parts[1].bytes, 100 * 40.0);
  EXPECT_DOUBLE_EQ(parts[2].bytes, 100 * 11 * 8.0);
  EXPECT_DOUBLE_EQ(parts[3].bytes, 2 * params);
  EXPECT_DOUBLE_EQ(parts[4].bytes, 3 * params);
}

TEST(TrainMemory, FullBatchGdCountsItsPassSums) {
  const TrainShape s = small_als();  // 100 local users, 100 items, k = 9
  const auto mini = train_memory_estimate(s, *solver_config("gd", {"--batch-size", "100"}));
  const auto full = train_memory_estimate(s, *solver_config("gd", {"--batch-size", "0"}));
  ASSERT_EQ(full.size(), mini.size() + 1);
  // Per user k + 2 sums; per item two padded rows of 16 doubles and k floats.
  EXPECT_DOUBLE_EQ(full.back().bytes, (100 * 11 + 2 * 100 * 16) * 8.0 + 100 * 9 * 4.0);
}

TEST(TrainMemory, CcdCountsResidualsFetchedRowsAndTheBackupCopy) {
  const auto parts = train_memory_estimate(small_als(), *solver_config("ccd"));
  ASSERT_EQ(parts.size(), 4U);
  EXPECT_DOUBLE_EQ(parts[0].bytes, 150 * 40.0);           // own rows
  EXPECT_DOUBLE_EQ(parts[1].bytes, (1000 + 1000) * 8.0);  // residual + slot per rating, twice
  EXPECT_DOUBLE_EQ(parts[2].bytes, (100 + 200) * (40.0 + 12.0) + 150 * 40.0);  // fetched + packed
  EXPECT_DOUBLE_EQ(parts[3].bytes, 150 * 40.0);                                // the step-back copy
}

TEST(TrainMemory, RefusesWhatDoesNotFitAndNamesTheEstimate) {
  TrainShape s = small_als();
  EXPECT_EQ(memory_refusal(s, *solver_config("als"), 0, 1'000'000), "");
  EXPECT_EQ(memory_refusal(s, *solver_config("als"), 0, 0), "");  // unknown memory: no refusal
  s.k = 100'000'000;
  // The normal equations alone: 2 x (1e8 + 1)^2 x 24 bytes = 480 PB.
  EXPECT_EQ(memory_refusal(s, *solver_config("als"), 2, 16'000'000'000),
            "--rank 100000000 needs about 480.0 PB of memory on rank 2 (480.0 PB for 2 thread(s) "
            "x the (k+1)^2 normal equations), more than the 16.0 GB this machine has; lower "
            "--rank or --threads, or spread the data over more nodes");
}

}  // namespace
}  // namespace dmf::cli
