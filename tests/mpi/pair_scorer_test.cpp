// PairScorer (validation sets, eval, predict) at 1-4 ranks over uneven row
// blocks (rank 1 holds none at 3+ ranks). Every rank scores the same pairs,
// each finding a pair's rows in its own blocks or fetched: the predictions
// are the same bits on every rank and thread count, and μ + b_u + b_i +
// p_u·q_i of the whole model's rows (to float rounding: whether the
// library's p·q is one fused multiply-add a step depends on its build); a
// cold side gives μ plus the other side's bias; a rank fetches each row it
// does not own once, and none that it owns.
#include "dmf/model/pair_scorer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "dmf/data/id_directory.hpp"
#include "support/uneven_model.hpp"

namespace dmf::model {
namespace {

TEST(PairScorer, PredictsFromTheWholeModelsRowsAndFetchesEachRemoteRowOnce) {
  const auto comm = dist::Comm::world();
  constexpr std::uint32_t kUsers = 37;
  constexpr std::uint32_t kItems = 23;
  constexpr int kK = 10;
  const test::WholeModel whole = test::random_whole_model(kUsers, kItems, kK, false, 5, 0);
  Model model;
  model.mu = whole.mu;
  model.k = kK;
  const auto [first_user, users] = test::uneven_rows(comm, kUsers);
  const auto [first_item, items] = test::uneven_rows(comm, kItems);
  model.users = test::slice_rows(whole.p, whole.bu, first_user, users, kUsers, kK);
  model.items = test::slice_rows(whole.q, whole.bi, first_item, items, kItems, kK);

  // A few pairs, and enough for two threads (2^20 products at k + 1 = 11
  // a pair: 95,326); the same on every rank; rows repeat, some are cold.
  for (const std::size_t count : {std::size_t{60}, std::size_t{100000}}) {
    SCOPED_TRACE(testing::Message() << count << " pairs");
    std::mt19937 random(17);
    std::vector<RowPair> pairs;
    std::set<std::uint32_t> remote_users, remote_items;
    for (std::size_t n = 0; n < count; ++n) {
      RowPair p{static_cast<std::uint32_t>(random() % (kUsers + 2)),
                static_cast<std::uint32_t>(random() % (kItems + 2))};
      if (p.user >= kUsers) p.user = data::kUnknownRow;
      if (p.item >= kItems) p.item = data::kUnknownRow;
      pairs.push_back(p);
    }
    // The other ranks' rows, once each (a cold pair's known side too, for
    // its bias).
    for (const RowPair& p : pairs) {
      if (p.user != data::kUnknownRow && (p.user < first_user || p.user >= first_user + users)) {
        remote_users.insert(p.user);
      }
      if (p.item != data::kUnknownRow && (p.item < first_item || p.item >= first_item + items)) {
        remote_items.insert(p.item);
      }
    }
    const PairScorer scorer(comm, model, pairs);
    EXPECT_EQ(scorer.fetched_rows(), remote_users.size() + remote_items.size());
    const std::array<std::uint64_t, 2> moved{scorer.fetched_rows(), scorer.served_rows()};
    const auto sums = comm.allgather(moved);
    std::uint64_t fetched = 0, served = 0;
    for (const auto& s : sums) {
      fetched += s[0];
      served += s[1];
    }
    EXPECT_EQ(fetched, served);

    const auto k = static_cast<std::size_t>(kK);
    std::vector<float> one_thread(pairs.size());
    scorer.predict(comm, model, one_thread, 1);
    std::size_t wrong = 0;
    for (std::size_t n = 0; n < pairs.size(); ++n) {
      const RowPair p = pairs[n];
      double want = whole.mu;
      if (p.user != data::kUnknownRow) want += whole.bu[p.user];
      if (p.item != data::kUnknownRow) want += whole.bi[p.item];
      if (p.user != data::kUnknownRow && p.item != data::kUnknownRow) {
        for (std::size_t f = 0; f < k; ++f) {
          want += static_cast<double>(whole.p[p.user * k + f]) * whole.q[p.item * k + f];
        }
      }
      if (std::abs(one_thread[n] - want) > 1e-5 * (1.0 + std::abs(want))) ++wrong;
    }
    EXPECT_EQ(wrong, 0U);
    std::vector<float> two_threads(pairs.size());
    scorer.predict(comm, model, two_threads, 2);
    EXPECT_TRUE(two_threads == one_thread);
    // Rank 0's predictions, from its rows and fetched ones, are every rank's.
    std::vector<float> first = one_thread;
    comm.broadcast(std::span<float>(first), 0);
    EXPECT_TRUE(first == one_thread);
  }
}

}  // namespace
}  // namespace dmf::model
