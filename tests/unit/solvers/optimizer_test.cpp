// The generic optimizer against worked examples (AdaGrad, to the digits
// published with them) and against one or two steps of every other
// optimizer written out by hand.
#include "dmf/solvers/gd/optimizer.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "dmf/solvers/gd/schedule.hpp"

namespace dmf::solvers {
namespace {

/// Parameters with their optimizer state, as the gd solver keeps a row.
struct Params {
  std::vector<double> w, s0, s1;
  explicit Params(std::vector<double> init)
      : w(std::move(init)), s0(w.size(), 0.0), s1(w.size(), 0.0) {}
  void step(const Optimizer& opt, const std::vector<double>& g, double lr, std::uint64_t t) {
    opt.step<double, double>(w, g, s0, s1, lr, t);
  }
};

OptimizerOptions with(OptimizerKind kind) {
  OptimizerOptions o;
  o.kind = kind;
  return o;
}

TEST(AdagradGolden, LinearRegressionOneStepEpsAfterTheRoot) {
  // Mean squared error of X w + b on X = [[1, 2], [-1, 3]], y = [-0.6, -8.0],
  // parameters (w1, w2, b) = 0: the gradient is (2/n) Σ e x with e = ŷ − y.
  const double x[2][2] = {{1.0, 2.0}, {-1.0, 3.0}};
  const double y[2] = {-0.6, -8.0};
  Params p({0.0, 0.0, 0.0});
  std::vector<double> g(3, 0.0);
  for (int j = 0; j < 2; ++j) {
    const double e = x[j][0] * p.w[0] + x[j][1] * p.w[1] + p.w[2] - y[j];
    g[0] += e * x[j][0];
    g[1] += e * x[j][1];
    g[2] += e;
  }
  OptimizerOptions o = with(OptimizerKind::kAdagrad);
  o.eps = 1e-8;
  o.eps_placement = EpsPlacement::kOutside;
  p.step(Optimizer(o), g, 0.1, 1);
  EXPECT_NEAR(p.w[0], 0.1, 1e-8);
  EXPECT_NEAR(p.w[1], -0.1, 1e-8);
  EXPECT_NEAR(p.w[2], -0.1, 1e-8);
  EXPECT_NEAR(p.s0[0], 54.76, 1e-9);
  EXPECT_NEAR(p.s0[1], 635.04, 1e-9);
  EXPECT_NEAR(p.s0[2], 73.96, 1e-9);
}

/// AdaGrad, ε = 1e-6 inside the root, lr 0.4, on a quadratic from (2, 1).
Params adagrad_on(double (*f_grad)(const std::vector<double>&, int), int steps) {
  OptimizerOptions o = with(OptimizerKind::kAdagrad);
  o.eps = 1e-6;
  o.eps_placement = EpsPlacement::kInside;
  const Optimizer opt(o);
  Params p({2.0, 1.0});
  for (int t = 1; t <= steps; ++t) p.step(opt, {f_grad(p.w, 0), f_grad(p.w, 1)}, 0.4, t);
  return p;
}

double elliptic_grad(const std::vector<double>& x, int j) {  // f = 0.1 x1² + 2 x2²
  return j == 0 ? 0.2 * x[0] : 4.0 * x[1];
}

double rotated_grad(const std::vector<double>& x, int j) {  // f = 0.1 (x1+x2)² + 2 (x1−x2)²
  const double sum = 0.2 * (x[0] + x[1]);
  const double diff = 4.0 * (x[0] - x[1]);
  return j == 0 ? sum + diff : sum - diff;
}

TEST(AdagradGolden, EllipticQuadraticEpsInsideTheRoot) {
  const Params one = adagrad_on(elliptic_grad, 1);
  EXPECT_NEAR(one.w[0], 1.6000012499941407, 1e-13);
  EXPECT_NEAR(one.w[1], 0.6000000124999993, 1e-13);
  const Params two = adagrad_on(elliptic_grad, 2);
  EXPECT_NEAR(two.w[0], 1.3501235880761975, 1e-13);
  EXPECT_NEAR(two.w[1], 0.39420171190526254, 1e-13);
  const Params twenty = adagrad_on(elliptic_grad, 20);
  EXPECT_NEAR(twenty.w[0], 0.15859147054836384, 1e-13);
  EXPECT_NEAR(twenty.w[1], 0.0004590660256726676, 1e-13);
  const double f = 0.1 * twenty.w[0] * twenty.w[0] + 2.0 * twenty.w[1] * twenty.w[1];
  EXPECT_NEAR(f, 0.0025155469363011096, 1e-14);
}

TEST(AdagradGolden, RotatedQuadraticEpsInsideTheRoot) {
  const Params twenty = adagrad_on(rotated_grad, 20);
  EXPECT_NEAR(twenty.w[0], 0.751473228971187, 1e-13);
  EXPECT_NEAR(twenty.w[1], 0.7375618687458174, 1e-13);
}

// Two steps of each optimizer from w = (1, -2) with gradients g1 then g2,
// against the update rules written out coordinate by coordinate.
constexpr double kLr = 0.1;
const std::vector<double> kW{1.0, -2.0};
const std::vector<double> kG1{0.5, -3.0};
const std::vector<double> kG2{-0.25, 1.5};

Params two_steps(const OptimizerOptions& o) {
  const Optimizer opt(o);
  Params p(kW);
  p.step(opt, kG1, kLr, 1);
  p.step(opt, kG2, kLr, 2);
  return p;
}

TEST(OptimizerStep, Sgd) {
  const Params p = two_steps(with(OptimizerKind::kSgd));
  for (int j = 0; j < 2; ++j) EXPECT_DOUBLE_EQ(p.w[j], kW[j] - kLr * kG1[j] - kLr * kG2[j]);
}

TEST(OptimizerStep, Momentum) {
  OptimizerOptions o = with(OptimizerKind::kMomentum);
  o.momentum = 0.8;
  const Params p = two_steps(o);
  for (int j = 0; j < 2; ++j) {
    const double v2 = 0.8 * kG1[j] + kG2[j];
    EXPECT_DOUBLE_EQ(p.w[j], kW[j] - kLr * kG1[j] - kLr * v2);
    EXPECT_DOUBLE_EQ(p.s0[j], v2);
  }
}

TEST(OptimizerStep, Nesterov) {
  OptimizerOptions o = with(OptimizerKind::kNesterov);
  o.momentum = 0.8;
  const Params p = two_steps(o);
  for (int j = 0; j < 2; ++j) {
    const double v1 = kG1[j];
    const double v2 = 0.8 * v1 + kG2[j];
    const double w1 = kW[j] - kLr * (kG1[j] + 0.8 * v1);
    EXPECT_DOUBLE_EQ(p.w[j], w1 - kLr * (kG2[j] + 0.8 * v2));
  }
}

TEST(OptimizerStep, AdagradAndItsAveragedForm) {
  for (const auto placement : {EpsPlacement::kOutside, EpsPlacement::kInside}) {
    OptimizerOptions o = with(OptimizerKind::kAdagrad);
    o.eps = 0.01;  // large enough that where it sits shows
    o.eps_placement = placement;
    const auto d = [&](double x) {
      return placement == EpsPlacement::kInside ? std::sqrt(x + 0.01) : std::sqrt(x) + 0.01;
    };
    const Params plain = two_steps(o);
    o.kind = OptimizerKind::kAdagradAvg;
    const Params avg = two_steps(o);
    for (int j = 0; j < 2; ++j) {
      const double s1 = kG1[j] * kG1[j];
      const double s2 = s1 + kG2[j] * kG2[j];
      const double w1 = kW[j] - kLr * kG1[j] / d(s1);
      EXPECT_DOUBLE_EQ(plain.w[j], w1 - kLr * kG2[j] / d(s2));
      EXPECT_DOUBLE_EQ(avg.w[j], w1 - kLr * kG2[j] / d(s2 / 2.0));
      EXPECT_DOUBLE_EQ(avg.s0[j], s2);  // the sum is kept; the step divides
    }
  }
}

TEST(OptimizerStep, Rmsprop) {
  OptimizerOptions o = with(OptimizerKind::kRmsprop);
  o.decay = 0.9;
  o.eps = 1e-3;
  const Params p = two_steps(o);
  for (int j = 0; j < 2; ++j) {
    const double s1 = 0.1 * kG1[j] * kG1[j];
    const double s2 = 0.9 * s1 + 0.1 * kG2[j] * kG2[j];
    const double w1 = kW[j] - kLr * kG1[j] / (std::sqrt(s1) + 1e-3);
    EXPECT_DOUBLE_EQ(p.w[j], w1 - kLr * kG2[j] / (std::sqrt(s2) + 1e-3));
  }
}

TEST(OptimizerStep, AdamWithBiasCorrection) {
  OptimizerOptions o = with(OptimizerKind::kAdam);
  o.beta1 = 0.9;
  o.beta2 = 0.99;
  o.eps = 1e-3;
  const Params p = two_steps(o);
  for (int j = 0; j < 2; ++j) {
    // Step 1: m̂ = g, v̂ = g², so the step is lr · g / (|g| + ε).
    const double w1 = kW[j] - kLr * kG1[j] / (std::abs(kG1[j]) + 1e-3);
    const double m2 = 0.9 * 0.1 * kG1[j] + 0.1 * kG2[j];
    const double v2 = 0.99 * 0.01 * kG1[j] * kG1[j] + 0.01 * kG2[j] * kG2[j];
    const double m_hat = m2 / (1.0 - 0.81);
    const double v_hat = v2 / (1.0 - 0.9801);
    EXPECT_NEAR(p.w[j], w1 - kLr * m_hat / (std::sqrt(v_hat) + 1e-3), 1e-14);
    EXPECT_NEAR(p.s0[j], m2, 1e-15);
    EXPECT_NEAR(p.s1[j], v2, 1e-15);
  }
}

TEST(OptimizerStep, FloatParametersFollowTheDoubleOnes) {
  for (const auto& entry : enum_names(OptimizerKind{})) {
    const Optimizer opt(with(entry.value));
    Params exact(kW);
    std::vector<float> w{1.0F, -2.0F}, s0(2, 0.0F), s1(2, 0.0F);
    for (int t = 1; t <= 5; ++t) {
      const auto& g = t % 2 == 1 ? kG1 : kG2;
      exact.step(opt, g, kLr, static_cast<std::uint64_t>(t));
      opt.step<float, double>(w, g, s0, s1, kLr, static_cast<std::uint64_t>(t));
    }
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(w[j], exact.w[j], 1e-5) << entry.name;
  }
}

TEST(OptimizerStep, StateSizesAreChecked) {
  const Optimizer adam(with(OptimizerKind::kAdam));
  std::vector<double> w(2, 0.0), g(2, 1.0), s0(2, 0.0);
  EXPECT_THROW((adam.step<double, double>(w, g, s0, {}, 0.1, 1)), Error);
  EXPECT_EQ(state_slots(OptimizerKind::kSgd), 0);
  EXPECT_EQ(state_slots(OptimizerKind::kRmsprop), 1);
}

TEST(Schedule, EachFormAtKnownTimes) {
  Schedule s;
  EXPECT_DOUBLE_EQ(s.rate(0.3, 7.5), 0.3);
  s.kind = ScheduleKind::kInvSqrt;
  s.c = 1.0;
  EXPECT_DOUBLE_EQ(s.rate(0.4, 0.0), 0.4);
  EXPECT_DOUBLE_EQ(s.rate(0.4, 3.0), 0.2);
  s.c = 4.0;
  EXPECT_DOUBLE_EQ(s.rate(0.4, 0.0), 0.2);
  s.kind = ScheduleKind::kInv;
  s.t1 = 10.0;
  EXPECT_DOUBLE_EQ(s.rate(0.1, 0.0), 0.1);
  EXPECT_DOUBLE_EQ(s.rate(0.1, 10.0), 0.05);
  EXPECT_DOUBLE_EQ(s.rate(0.1, 30.0), 0.025);
  s.kind = ScheduleKind::kStep;
  s.step_every = 2.0;
  s.step_factor = 0.5;
  EXPECT_DOUBLE_EQ(s.rate(1.0, 1.99), 1.0);
  EXPECT_DOUBLE_EQ(s.rate(1.0, 2.0), 0.5);
  EXPECT_DOUBLE_EQ(s.rate(1.0, 5.5), 0.25);
}

}  // namespace
}  // namespace dmf::solvers
