// dmf info --ranks P's memory estimate against what a P-rank load holds: the
// partition it predicts is the loader's, and its block bytes are the blocks'.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dmf/cli/train_memory.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/partition.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

/// Skewed ratings without a repeated pair (a merged duplicate would leave
/// capacity behind the estimate's exact sizes).
RatingsData load_skewed(const dist::Comm& comm, const test::TempDir& dir) {
  Rng rng(7);
  std::map<std::pair<int, int>, int> pairs;
  while (pairs.size() < 3000) {
    const int u = static_cast<int>(400 * rng.uniform() * rng.uniform());
    const int i = static_cast<int>(150 * rng.uniform() * rng.uniform());
    pairs[{u, i}] = static_cast<int>(1 + rng.below(5));
  }
  std::string text;
  for (const auto& [key, v] : pairs) text += fmt::format("{} {} {}\n", key.first, key.second, v);
  return load_ratings(comm, dir.write("r.txt", text), LoadOptions{});
}

/// The same partition computed in one process from every row's degree.
PartSizes serial_sizes(const std::vector<std::uint64_t>& degrees, int parts) {
  PartSizes sizes{std::vector<std::uint64_t>(static_cast<std::size_t>(parts), 0),
                  std::vector<std::uint64_t>(static_cast<std::size_t>(parts), 0)};
  std::uint64_t total = 0;
  for (const auto d : degrees) total += d;
  std::uint64_t prefix = 0;
  for (const auto d : degrees) {
    const auto part = static_cast<std::size_t>(part_of(prefix, d, total, parts));
    ++sizes.rows[part];
    sizes.ratings[part] += d;
    prefix += d;
  }
  return sizes;
}

TEST(RankMemory, PartitionSizesAreTheLoadersAtThisRankCount) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = load_skewed(comm, dir);
  for (const SparseBlock* block : {&data.by_user, &data.by_item}) {
    const PartSizes predicted = partition_sizes(comm, *block, comm.size());
    EXPECT_EQ(predicted.rows, comm.allgather<std::uint64_t>(block->rows()));
    EXPECT_EQ(predicted.ratings, comm.allgather<std::uint64_t>(block->nnz()));
    // The estimate's block bytes are what the loaded block holds.
    const auto me = static_cast<std::size_t>(comm.rank());
    EXPECT_EQ(cli::block_bytes(predicted.rows[me], predicted.ratings[me]),
              static_cast<double>(block->bytes()));
  }
}

TEST(RankMemory, PartitionSizesForOtherRankCountsDoNotDependOnTheRanksHoldingTheData) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = load_skewed(comm, dir);
  for (const SparseBlock* block : {&data.by_user, &data.by_item}) {
    const auto local = block->degrees();
    const auto degrees = comm.allgatherv<std::uint64_t>(local);  // canonical row order
    for (const int parts : {1, 2, 3, 4, 7, 1000}) {
      const PartSizes predicted = partition_sizes(comm, *block, parts);
      const PartSizes expected = serial_sizes(degrees, parts);
      EXPECT_EQ(predicted.rows, expected.rows) << parts << " parts";
      EXPECT_EQ(predicted.ratings, expected.ratings) << parts << " parts";
    }
  }
}

TEST(RankMemory, RankMemoryCountsTheLoadedBlocksAndTheOwnFactorRows) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = load_skewed(comm, dir);
  cli::TrainShape shape;  // as train's check_memory fills it
  shape.local_users = data.users.local_rows();
  shape.local_items = data.items.local_rows();
  shape.total_users = data.users.total_rows();
  shape.total_items = data.items.total_rows();
  shape.user_ratings = data.by_user.nnz();
  shape.item_ratings = data.by_item.nnz();
  shape.k = 7;
  shape.threads = 2;
  const auto solver = cli::default_solver_config();
  const cli::RankMemory memory = cli::rank_memory(shape, *solver);
  EXPECT_EQ(memory.blocks, static_cast<double>(data.by_user.bytes() + data.by_item.bytes()));
  EXPECT_EQ(memory.factors,
            static_cast<double>((shape.local_users + shape.local_items) * 8 * sizeof(float)));
  EXPECT_EQ(memory.total(),
            memory.blocks + cli::total_bytes(cli::train_memory_estimate(shape, *solver)));
  // The solver's part grows with k: a user sizing a job sees --rank in it.
  shape.k = 70;
  EXPECT_GT(cli::rank_memory(shape, *solver).solver, 9.0 * memory.solver);
}

}  // namespace
}  // namespace dmf::data
