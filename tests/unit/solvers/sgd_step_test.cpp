// One step of the sgd solver's update (rating_step.hpp) against its
// formula worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "dmf/solvers/sgd/rating_step.hpp"

namespace dmf::solvers::sgd {
namespace {

TEST(SgdStep, PlainSgdMovesEveryParameterAlongItsOwnGradient) {
  float p[2] = {1.0F, 0.5F}, q[2] = {0.5F, -1.0F};
  float bu = 0.25F, bi = -0.5F;
  StepSettings s;
  s.rule = StepRule::kSgd;
  s.lr = 0.5F;
  s.mu = 3.0F;
  // r̂ = 3 + 0.25 − 0.5 + (0.5 − 0.5) = 2.75; e = 4 − 2.75 = 1.25.
  const float e = rating_step(s, 4.0F, StepRow{p, &bu, nullptr, nullptr, 0.5F},
                              StepRow{q, &bi, nullptr, nullptr, 0.25F}, 2);
  EXPECT_FLOAT_EQ(e, 1.25F);
  // b_u − η(−e + c_u b_u) = 0.25 − 0.5(−1.25 + 0.125) = 0.8125
  EXPECT_FLOAT_EQ(bu, 0.8125F);
  // b_i − η(−e + c_i b_i) = −0.5 − 0.5(−1.25 − 0.125) = 0.1875
  EXPECT_FLOAT_EQ(bi, 0.1875F);
  // p − η(−e q + c_u p) = (1 − 0.5(−0.625 + 0.5), 0.5 − 0.5(1.25 + 0.25))
  EXPECT_FLOAT_EQ(p[0], 1.0625F);
  EXPECT_FLOAT_EQ(p[1], -0.25F);
  // q − η(−e p + c_i q), p before the step: (0.5 − 0.5(−1.25 + 0.125),
  // −1 − 0.5(−0.625 − 0.25))
  EXPECT_FLOAT_EQ(q[0], 1.0625F);
  EXPECT_FLOAT_EQ(q[1], -0.5625F);
}

TEST(SgdStep, AdagradScalesEachCoordinateByTheSumOfTheStepsBefore) {
  float p[1] = {1.0F}, q[1] = {2.0F};
  float sp[1] = {3.0F}, sq[1] = {1.0F};
  float bu = 0.0F, bi = 0.0F, sbu = 1.0F, sbi = 0.0F;
  StepSettings s;
  s.rule = StepRule::kAdagrad;
  s.lr = 0.1F;
  s.eps = 0.0F;
  s.mu = 0.0F;
  s.item_bias = false;
  // e = 3 − 2 = 1. Each parameter moves by its sum before the step, then
  // the sum takes g². g(p) = −2: p = 1 + 0.2/√3, s = 3 + 4 = 7.
  // g(q) = −1 (p before the step): q = 2 + 0.1/√1, s = 2.
  // g(b_u) = −1: b_u = 0.1/√1, s = 2.
  rating_step(s, 3.0F, StepRow{p, &bu, sp, &sbu, 0.0F}, StepRow{q, &bi, sq, &sbi, 0.0F}, 1);
  EXPECT_FLOAT_EQ(p[0], 1.0F + 0.2F / std::sqrt(3.0F));
  EXPECT_FLOAT_EQ(sp[0], 7.0F);
  EXPECT_FLOAT_EQ(q[0], 2.1F);
  EXPECT_FLOAT_EQ(sq[0], 2.0F);
  EXPECT_FLOAT_EQ(bu, 0.1F);
  EXPECT_FLOAT_EQ(sbu, 2.0F);
  // No item bias: neither it nor its sum moves.
  EXPECT_EQ(bi, 0.0F);
  EXPECT_EQ(sbi, 0.0F);
}

TEST(SgdStep, AdagradRowScalesEachRowByItsSumBeforeTheStep) {
  float p[2] = {1.0F, 0.0F}, q[2] = {2.0F, 1.0F};
  float sp = 1.0F, sq = 4.0F;
  float bu = 0.0F, bi = 0.5F, sbu = 0.0F, sbi = 3.0F;
  StepSettings s;
  s.rule = StepRule::kAdagradRow;
  s.lr = 0.5F;
  s.eps = 0.0F;
  s.mu = 1.0F;
  s.user_bias = false;
  // e = 5 − (1 + 0 + 0.5 + 2) = 1.5. With c = 0: g(p) = −e q = (−3, −1.5),
  // p moves by 0.5/√1, then s = 1 + 5.625 (the mean square); g(q) = −e p =
  // (−1.5, 0), q moves by 0.5/√4, then s = 4 + 1.125. g(b_i) = −1.5: b_i
  // moves by 0.5/√3, then s = 3 + 2.25.
  const float e =
      rating_step(s, 5.0F, StepRow{p, &bu, &sp, &sbu, 0.0F}, StepRow{q, &bi, &sq, &sbi, 0.0F}, 2);
  EXPECT_FLOAT_EQ(e, 1.5F);
  EXPECT_FLOAT_EQ(p[0], 2.5F);
  EXPECT_FLOAT_EQ(p[1], 0.75F);
  EXPECT_FLOAT_EQ(sp, 6.625F);
  EXPECT_FLOAT_EQ(q[0], 2.375F);
  EXPECT_FLOAT_EQ(q[1], 1.0F);
  EXPECT_FLOAT_EQ(sq, 5.125F);
  EXPECT_FLOAT_EQ(bi, 0.5F + 0.5F * 1.5F / std::sqrt(3.0F));
  EXPECT_FLOAT_EQ(sbi, 5.25F);
  EXPECT_EQ(bu, 0.0F);
  EXPECT_EQ(sbu, 0.0F);
}

}  // namespace
}  // namespace dmf::solvers::sgd
