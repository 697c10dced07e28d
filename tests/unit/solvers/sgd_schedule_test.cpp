// The FPSGD schedule of the sgd solver (docs/design.md §4, sgd): the cells
// threads hold at once share no user and no item, and a sub-epoch visits
// every rating exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/solvers/sgd/block_grid.hpp"

namespace dmf::solvers::sgd {
namespace {

TEST(SgdSchedule, RoundsAreLatinSquaresDrawnPerSubEpoch) {
  for (int g = 1; g <= 7; ++g) {
    for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
      SCOPED_TRACE(testing::Message() << "G " << g << " epoch " << epoch);
      const auto rounds = cell_rounds(g, 42, epoch, 1, 2);
      ASSERT_EQ(rounds.size(), static_cast<std::size_t>(g));
      std::set<std::pair<int, int>> seen;
      for (const auto& round : rounds) {
        ASSERT_EQ(round.size(), static_cast<std::size_t>(g));
        std::set<int> users, items;
        for (const Cell c : round) {
          EXPECT_TRUE(c.user >= 0 && c.user < g && c.item >= 0 && c.item < g);
          // Two cells of a round run at once: they must share no range.
          EXPECT_TRUE(users.insert(c.user).second) << "user range " << c.user << " twice";
          EXPECT_TRUE(items.insert(c.item).second) << "item range " << c.item << " twice";
          EXPECT_TRUE(seen.insert({c.user, c.item}).second) << "cell visited twice";
        }
      }
      EXPECT_EQ(seen.size(), static_cast<std::size_t>(g * g));
      // A pure function of its arguments: a resumed run sees the same order.
      const auto again = cell_rounds(g, 42, epoch, 1, 2);
      for (std::size_t d = 0; d < rounds.size(); ++d) {
        for (std::size_t j = 0; j < rounds[d].size(); ++j) {
          EXPECT_EQ(again[d][j].user, rounds[d][j].user);
          EXPECT_EQ(again[d][j].item, rounds[d][j].item);
        }
      }
    }
  }
}

TEST(SgdSchedule, TheOrderChangesFromEpochToEpoch) {
  const auto flat = [](const std::vector<std::vector<Cell>>& rounds) {
    std::vector<std::pair<int, int>> out;
    for (const auto& round : rounds) {
      for (const Cell c : round) out.emplace_back(c.user, c.item);
    }
    return out;
  };
  const auto first = flat(cell_rounds(6, 7, 0, 0, 0));
  int different = 0;
  for (std::uint64_t epoch = 1; epoch < 6; ++epoch) {
    different += flat(cell_rounds(6, 7, epoch, 0, 0)) != first ? 1 : 0;
  }
  EXPECT_GE(different, 4);
}

/// A CSR of `users` rows over `items` columns, each pair with probability
/// `density`, values 1..5.
data::SparseBlock random_csr(std::uint32_t users, std::uint32_t items, double density) {
  data::SparseBlock csr;
  Rng rng(5);
  csr.offsets.push_back(0);
  for (std::uint32_t u = 0; u < users; ++u) {
    for (std::uint32_t i = 0; i < items; ++i) {
      if (rng.uniform() < density) {
        csr.columns.push_back(i);
        csr.values.push_back(static_cast<float>(1 + rng.below(5)));
      }
    }
    csr.offsets.push_back(csr.columns.size());
  }
  return csr;
}

TEST(SgdSchedule, TheGridHoldsEveryRatingOnceAndItsCellsShareNoRow) {
  const data::SparseBlock csr = random_csr(37, 53, 0.3);
  const std::vector<std::uint32_t> item_starts{0, 20, 21, 53};  // blocks of 20, 1, 32 items
  for (const int g : {1, 2, 3, 5}) {
    SCOPED_TRACE(testing::Message() << "G " << g);
    const BlockGrid grid(csr, item_starts, g);
    EXPECT_EQ(grid.blocks(), 3);
    EXPECT_EQ(grid.ratings(), csr.nnz());
    std::multiset<std::tuple<std::uint32_t, std::uint32_t, float>> visited;
    for (int b = 0; b < grid.blocks(); ++b) {
      // Rows of each user range and of each item range, to check that
      // different ranges share none.
      std::vector<std::set<std::uint32_t>> users(static_cast<std::size_t>(g));
      std::vector<std::set<std::uint32_t>> items(static_cast<std::size_t>(g));
      for (const auto& round : cell_rounds(g, 9, 0, 0, b)) {
        for (const Cell c : round) {
          for (const GridRating& r : grid.cell(b, c)) {
            const std::uint32_t item = item_starts[static_cast<std::size_t>(b)] + r.item;
            ASSERT_LT(item, item_starts[static_cast<std::size_t>(b) + 1]);
            visited.emplace(r.user, item, r.value);
            users[static_cast<std::size_t>(c.user)].insert(r.user);
            items[static_cast<std::size_t>(c.item)].insert(r.item);
          }
        }
      }
      for (int a = 0; a < g; ++a) {
        for (int z = a + 1; z < g; ++z) {
          for (const auto u : users[static_cast<std::size_t>(a)]) {
            EXPECT_EQ(users[static_cast<std::size_t>(z)].count(u), 0U) << "user " << u;
          }
          for (const auto i : items[static_cast<std::size_t>(a)]) {
            EXPECT_EQ(items[static_cast<std::size_t>(z)].count(i), 0U) << "item " << i;
          }
        }
      }
    }
    std::multiset<std::tuple<std::uint32_t, std::uint32_t, float>> want;
    for (std::uint32_t u = 0; u < csr.rows(); ++u) {
      for (std::uint64_t pos = csr.offsets[u]; pos < csr.offsets[u + 1]; ++pos) {
        want.emplace(u, csr.columns[pos], csr.values[pos]);
      }
    }
    EXPECT_EQ(visited, want);
  }
}

TEST(SgdSchedule, ACellIsInTheOrderOfTheRowsOfTheLongerSide) {
  // 12 users; item block 0 has 40 items (more than the users: by item, then
  // user), block 1 has 5 (by user, then item), as LIBMF orders its blocks.
  const data::SparseBlock csr = random_csr(12, 45, 0.5);
  const std::vector<std::uint32_t> item_starts{0, 40, 45};
  const BlockGrid grid(csr, item_starts, 2);
  std::uint64_t seen = 0;
  for (int b = 0; b < grid.blocks(); ++b) {
    for (int u = 0; u < 2; ++u) {
      for (int i = 0; i < 2; ++i) {
        const auto cell = grid.cell(b, Cell{u, i});
        seen += cell.size();
        for (std::size_t j = 1; j < cell.size(); ++j) {
          const auto before = b == 0 ? std::pair(cell[j - 1].item, cell[j - 1].user)
                                     : std::pair(cell[j - 1].user, cell[j - 1].item);
          const auto here = b == 0 ? std::pair(cell[j].item, cell[j].user)
                                   : std::pair(cell[j].user, cell[j].item);
          EXPECT_LT(before, here) << "block " << b << " cell " << u << "," << i << " at " << j;
        }
      }
    }
  }
  EXPECT_EQ(seen, csr.nnz());
}

TEST(SgdSchedule, ACellWaitsForTheLastCellsBeforeItOnItsUserAndItemRanges) {
  for (const int g : {1, 3, 8}) {
    const auto rounds = cell_rounds(g, 4, 2, 1, 0);
    const std::vector<CellStep> steps = cell_steps(rounds);
    ASSERT_EQ(steps.size(), static_cast<std::size_t>(g * g));
    for (std::size_t n = 0; n < steps.size(); ++n) {
      // The cells in round order.
      const Cell want = rounds[n / static_cast<std::size_t>(g)][n % static_cast<std::size_t>(g)];
      EXPECT_EQ(steps[n].cell.user, want.user);
      EXPECT_EQ(steps[n].cell.item, want.item);
      int user = -1, item = -1;  // found by looking back
      for (std::size_t m = 0; m < n; ++m) {
        if (steps[m].cell.user == want.user) user = static_cast<int>(m);
        if (steps[m].cell.item == want.item) item = static_cast<int>(m);
      }
      EXPECT_EQ(steps[n].after_user, user) << "G " << g << " cell " << n;
      EXPECT_EQ(steps[n].after_item, item) << "G " << g << " cell " << n;
      // Round d > 0: both are in round d - 1 (a Latin square's rows share
      // every range), so a cell never waits on more than the round before.
      if (n >= static_cast<std::size_t>(g)) {
        EXPECT_GE(user, static_cast<int>(n) - g - static_cast<int>(n) % g);
        EXPECT_GE(item, static_cast<int>(n) - g - static_cast<int>(n) % g);
      }
    }
  }
}

}  // namespace
}  // namespace dmf::solvers::sgd
