// gd's full-batch pass over a group of users (solvers/gd/user_pass) against
// the terms added one rating at a time, one user after the other
// (residual_fused, add_rating_terms' order): bit for bit, for ranks with and
// without a compiled-in width, rows shorter than the 16 lanes, runs of
// consecutive items and gaps, ragged tails, groups of 1 to 4 users.
#include "dmf/solvers/gd/user_pass.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "dmf/solvers/gradient_terms.hpp"

namespace dmf::solvers {
namespace {

struct Reference {
  std::vector<double> user;  // k + 2
  double squares = 0.0;
};

/// The pass written one rating at a time, in rating order, adding the item
/// terms to `item_sums` (items × (k + 2)).
Reference reference_pass(std::size_t k, const std::vector<float>& q, const std::vector<float>& bq,
                         const UserPassRow& row, std::vector<double>& item_sums) {
  Reference out{std::vector<double>(k + 2, 0.0), 0.0};
  for (std::size_t j = 0; j < row.items.size(); ++j) {
    const std::uint32_t i = row.items[j];
    const std::span<const float> qi(q.data() + std::size_t{i} * k, k);
    const float e = residual_fused(row.values[j], row.mu, row.bias, bq[i], row.p, qi);
    out.squares += static_cast<double>(e) * static_cast<double>(e);
    add_rating_terms<float>(out.user, e, qi);
    add_rating_terms<float>(std::span(item_sums).subspan(std::size_t{i} * (k + 2), k + 2), e,
                            row.p);
  }
  return out;
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

/// Items for a user of `n` ratings out of `n_items`: runs of consecutive
/// items broken by gaps, ascending.
std::vector<std::uint32_t> pick_items(std::size_t n, std::size_t n_items, int gap_every,
                                      std::mt19937& random) {
  std::vector<std::uint32_t> items;
  auto next = static_cast<std::uint32_t>(random() % 3);
  for (std::size_t j = 0; j < n; ++j) {
    if (gap_every > 0 && j > 0 && j % static_cast<std::size_t>(gap_every) == 0) {
      next += static_cast<std::uint32_t>(1 + random() % 4);
    }
    items.push_back(next++);
  }
  EXPECT_LE(items.back(), n_items - 1);
  return items;
}

TEST(GdUserPass, EveryResidualSumAndItemTermIsTheOneRatingAtATimeBits) {
  std::mt19937 random(11);
  std::normal_distribution<float> normal(0.0F, 0.4F);
  // 8, 10, 16, 20, 32 have compiled-in ranks; 3, 13, 33, 70 do not (their
  // padded rows of 8, 16, 40 lanes do, 72 not). The pass reads the item
  // rows in double where they fit ItemTable::kDoubleRowsBytes, else in
  // float.
  std::size_t float_tables = 0;
  for (const auto& [k, n_items] : {std::pair<std::size_t, std::size_t>{3, 300},
                                   {8, 300},
                                   {10, 300},
                                   {10, 3000},
                                   {13, 300},
                                   {16, 300},
                                   {20, 300},
                                   {20, 3000},
                                   {32, 300},
                                   {33, 300},
                                   {70, 300}}) {
    std::vector<float> q(n_items * k), bq(n_items);
    for (auto& x : q) x = normal(random);
    for (auto& x : bq) x = normal(random);
    ItemTable table;
    table.assign(k, q, bq);
    ASSERT_EQ(table.width % 8, 0U);
    ASSERT_GE(table.width, k + 2);
    // 3000 items of k = 10 or 20 are too many to keep in double too: the
    // pass reads their float rows.
    float_tables += table.double_rows.empty();
    // Ratings shorter than, as long as and longer than the 16 lanes, with
    // and without ragged tails, all consecutive or with gaps every few.
    for (const std::size_t n : {1U, 5U, 15U, 16U, 17U, 31U, 32U, 40U, 100U}) {
      for (const int gap_every : {0, 3, 16, 20}) {
        SCOPED_TRACE(testing::Message() << "k " << k << " n " << n << " gap every " << gap_every);
        const auto items = pick_items(n, n_items, gap_every, random);
        // Each item's sums start from earlier users' values.
        std::vector<double> start(n_items * (k + 2));
        for (auto& x : start) x = normal(random);
        // The pass's item rows: slot[i] = the item's place among `items`,
        // reversed, to show the slot is followed.
        std::vector<std::uint32_t> slot(n_items, 0);
        for (std::size_t j = 0; j < n; ++j) slot[items[j]] = static_cast<std::uint32_t>(n - 1 - j);
        // Groups of 1 to 4 users with these items, each against the same
        // users one at a time.
        for (std::size_t group = 1; group <= kUserPassGroup; ++group) {
          SCOPED_TRACE(testing::Message() << "group " << group);
          std::vector<std::vector<float>> values(group, std::vector<float>(n)),
              p(group, std::vector<float>(k));
          std::vector<UserPassRow> rows(group);
          std::vector<double> want_items = start;
          std::vector<Reference> want;
          for (std::size_t g = 0; g < group; ++g) {
            for (auto& x : values[g]) x = 3.0F + normal(random);
            for (auto& x : p[g]) x = normal(random);
            rows[g].mu = 3.1F;
            rows[g].bias = normal(random);
            rows[g].p = p[g];
            rows[g].items = items;
            rows[g].values = values[g];
            want.push_back(reference_pass(k, q, bq, rows[g], want_items));
          }
          AlignedDoubles item_acc(n * table.width, 0.0);
          for (std::size_t j = 0; j < n; ++j) {
            for (std::size_t f = 0; f <= k; ++f) {
              item_acc[slot[items[j]] * table.width + f] = start[items[j] * (k + 2) + f];
            }
          }
          std::vector<double> user(group * (k + 2), -1.0), squares(group, -1.0);
          UserPassScratch scratch;
          users_pass(table, rows, slot.data(), item_acc.data(), user, squares, scratch);
          std::size_t wrong_user = 0, wrong_items = 0, wrong_squares = 0;
          for (std::size_t g = 0; g < group; ++g) {
            wrong_squares += !same_bits(squares[g], want[g].squares);
            for (std::size_t f = 0; f < k + 2; ++f) {
              wrong_user += !same_bits(user[g * (k + 2) + f], want[g].user[f]);
            }
          }
          // Lanes 0..k: Σ −2e p and Σ −2e (the count is the solver's).
          for (std::size_t j = 0; j < n; ++j) {
            for (std::size_t f = 0; f <= k; ++f) {
              wrong_items += !same_bits(item_acc[slot[items[j]] * table.width + f],
                                        want_items[items[j] * (k + 2) + f]);
            }
          }
          EXPECT_EQ(wrong_squares, 0U);
          EXPECT_EQ(wrong_user, 0U);
          EXPECT_EQ(wrong_items, 0U);
        }
      }
    }
  }
  EXPECT_EQ(float_tables, 2U);
}

}  // namespace
}  // namespace dmf::solvers
