// The classic first-order optimizers (docs/design.md §4), written once over any
// parameter array: the gd solver runs the same code on factor rows and
// biases that the tests run on toy problems.
//
// With g the gradient, η the learning rate and t the number of steps this
// parameter has taken (this one included):
//   sgd          w ← w − η g
//   momentum     v ← μ v + g;             w ← w − η v
//   nesterov     v ← μ v + g;             w ← w − η (g + μ v)
//   adagrad      s ← s + g²;              w ← w − η g / D(s)
//   adagrad-avg  s ← s + g²;              w ← w − η g / D(s / t)
//   rmsprop      s ← ρ s + (1 − ρ) g²;    w ← w − η g / D(s)
//   adam         m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²;
//                w ← w − η m̂ / D(v̂),  m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t)
// where D(x) = √x + ε (ε after the root, the default) or √(x + ε) (inside).
// momentum and nesterov are in the form of PyTorch and Sutskever et al.
// (2013), where the look-ahead gradient is not needed.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>

#include "dmf/core/enum_names.hpp"
#include "dmf/core/error.hpp"
#include "dmf/solvers/gd/schedule.hpp"

namespace dmf::solvers {

enum class OptimizerKind { kSgd, kMomentum, kNesterov, kAdagrad, kAdagradAvg, kRmsprop, kAdam };

inline std::span<const EnumName<OptimizerKind>> enum_names(OptimizerKind /*tag*/) {
  static constexpr std::array<EnumName<OptimizerKind>, 7> kNames{{
      {OptimizerKind::kSgd, "sgd"},
      {OptimizerKind::kMomentum, "momentum"},
      {OptimizerKind::kNesterov, "nesterov"},
      {OptimizerKind::kAdagrad, "adagrad"},
      {OptimizerKind::kAdagradAvg, "adagrad-avg"},
      {OptimizerKind::kRmsprop, "rmsprop"},
      {OptimizerKind::kAdam, "adam"},
  }};
  return kNames;
}

/// Where ε sits in the denominator of the adaptive optimizers.
enum class EpsPlacement { kOutside, kInside };

inline std::span<const EnumName<EpsPlacement>> enum_names(EpsPlacement /*tag*/) {
  static constexpr std::array<EnumName<EpsPlacement>, 2> kNames{{
      {EpsPlacement::kOutside, "outside"},
      {EpsPlacement::kInside, "inside"},
  }};
  return kNames;
}

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double momentum = 0.9;  // μ of momentum and nesterov
  double eps = 1e-8;
  EpsPlacement eps_placement = EpsPlacement::kOutside;
  double decay = 0.9;  // ρ of rmsprop
  double beta1 = 0.9;
  double beta2 = 0.999;
};

/// How many state arrays, each the size of the parameters, `kind` keeps.
[[nodiscard]] constexpr int state_slots(OptimizerKind kind) noexcept {
  switch (kind) {
    case OptimizerKind::kSgd:
      return 0;
    case OptimizerKind::kAdam:
      return 2;
    default:
      return 1;
  }
}

/// The learning rate used when none is given: one that converges on
/// MovieLens-shaped data with gd's per-row scaling (jobs/bench/gd.sh).
[[nodiscard]] double default_learning_rate(OptimizerKind kind) noexcept;

/// The schedule used when none is given: step (halving every --step-every
/// epochs) for sgd, momentum and nesterov, whose steps at a constant rate
/// stall at the noise of their batches; constant for the adaptive ones.
[[nodiscard]] ScheduleKind default_schedule(OptimizerKind kind) noexcept;

/// The factors of a step that depend only on the parameter's step count t:
/// adam's bias corrections, adagrad-avg's 1 / t.
struct StepScale {
  double correct1 = 1.0;  // 1 / (1 − β1^t)
  double correct2 = 1.0;  // 1 / (1 − β2^t)
  double average = 1.0;   // adagrad-avg: 1 / t
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerOptions& options) : o_(options) {}

  [[nodiscard]] const OptimizerOptions& options() const noexcept { return o_; }
  [[nodiscard]] int slots() const noexcept { return state_slots(o_.kind); }

  /// One step on `w` with gradient `g` and learning rate `lr`. `s0` and `s1`
  /// are the state arrays (as many as slots(), each w.size(), zero before the
  /// first step; the others may be empty). `t` ≥ 1 counts this parameter's
  /// steps, this one included. Arithmetic is in double whatever T is.
  template <class T, class G>
  void step(std::span<T> w, std::span<const G> g, std::span<T> s0, std::span<T> s1, double lr,
            std::uint64_t t) const {
    step(w, g, s0, s1, lr, scale(t));
  }

  /// The factors of step `t` (≥ 1), to compute once for many parameters.
  [[nodiscard]] StepScale scale(std::uint64_t t) const {
    const double td = static_cast<double>(t);
    StepScale out;
    if (o_.kind == OptimizerKind::kAdam) {
      out.correct1 = 1.0 / (1.0 - std::pow(o_.beta1, td));
      out.correct2 = 1.0 / (1.0 - std::pow(o_.beta2, td));
    }
    if (o_.kind == OptimizerKind::kAdagradAvg) out.average = 1.0 / td;
    return out;
  }

  /// step() with the factors of its t worked out already. Inlined where it
  /// is called (gd calls it twice per row and step: the call and the size
  /// check's formatting were a tenth of a dense full-batch epoch).
  template <class T, class G>
  [[gnu::always_inline]] void step(std::span<T> w, std::span<const G> g, std::span<T> s0,
                                   std::span<T> s1, double lr, const StepScale& scale) const {
    if (g.size() != w.size() || s0.size() < (slots() >= 1 ? w.size() : 0) ||
        s1.size() < (slots() >= 2 ? w.size() : 0)) {
      sizes_differ(w.size(), g.size(), s0.size(), s1.size());
    }
    const std::size_t n = w.size();
    switch (o_.kind) {
      case OptimizerKind::kSgd:
        for (std::size_t j = 0; j < n; ++j) w[j] = static_cast<T>(w[j] - lr * g[j]);
        return;
      case OptimizerKind::kMomentum:
      case OptimizerKind::kNesterov: {
        const bool nesterov = o_.kind == OptimizerKind::kNesterov;
        for (std::size_t j = 0; j < n; ++j) {
          const double v = o_.momentum * s0[j] + g[j];
          s0[j] = static_cast<T>(v);
          w[j] = static_cast<T>(w[j] - lr * (nesterov ? g[j] + o_.momentum * v : v));
        }
        return;
      }
      case OptimizerKind::kAdagrad:
      case OptimizerKind::kAdagradAvg: {
        const double average = scale.average;
        for (std::size_t j = 0; j < n; ++j) {
          const double s = s0[j] + static_cast<double>(g[j]) * g[j];
          s0[j] = static_cast<T>(s);
          w[j] = static_cast<T>(w[j] - lr * g[j] / denominator(s * average));
        }
        return;
      }
      case OptimizerKind::kRmsprop:
        for (std::size_t j = 0; j < n; ++j) {
          const double s = o_.decay * s0[j] + (1.0 - o_.decay) * g[j] * g[j];
          s0[j] = static_cast<T>(s);
          w[j] = static_cast<T>(w[j] - lr * g[j] / denominator(s));
        }
        return;
      case OptimizerKind::kAdam: {
        const double correct1 = scale.correct1;
        const double correct2 = scale.correct2;
        for (std::size_t j = 0; j < n; ++j) {
          const double m = o_.beta1 * s0[j] + (1.0 - o_.beta1) * g[j];
          const double v = o_.beta2 * s1[j] + (1.0 - o_.beta2) * g[j] * g[j];
          s0[j] = static_cast<T>(m);
          s1[j] = static_cast<T>(v);
          w[j] = static_cast<T>(w[j] - lr * (m * correct1) / denominator(v * correct2));
        }
        return;
      }
    }
  }

 private:
  /// The error of a step whose arrays do not match, out of line.
  [[noreturn, gnu::cold]] static void sizes_differ(std::size_t w, std::size_t g, std::size_t s0,
                                                   std::size_t s1);

  [[nodiscard]] double denominator(double x) const noexcept {
    return o_.eps_placement == EpsPlacement::kInside ? std::sqrt(x + o_.eps)
                                                     : std::sqrt(x) + o_.eps;
  }

  OptimizerOptions o_;
};

}  // namespace dmf::solvers
