#include "dmf/model/model_change.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "dmf/core/error.hpp"

namespace dmf::model {

SquaredChange squared_change(const FactorBlock& now, const FactorBlock& before, std::uint32_t first,
                             std::uint32_t count) {
  DMF_CHECK(now.k == before.k && now.rows == before.rows && first + count <= now.rows,
            "squared_change: blocks of {}×{} and {}×{}, rows [{}, {})", now.rows, now.k,
            before.rows, before.k, first, first + count);
  // kLanes independent sums of each kind, added in lane order at the end: a
  // single chain of a million dependent additions (sgd's model on
  // MovieTweetings at k = 64, for --tol-params) was bound by the adder's
  // latency: sgd epochs of 12.0 ms against 8.5 in lanes, and 7.4 without
  // the rule. A fixed order, so the same bits in every run and build.
  constexpr std::size_t kLanes = 8;
  std::array<double, kLanes> difference{};
  std::array<double, kLanes> base{};
  const auto add = [&](std::size_t lane, float a, float b) {
    const double d = static_cast<double>(a) - b;
    const auto was = static_cast<double>(b);
    difference[lane] = std::fma(d, d, difference[lane]);
    base[lane] = std::fma(was, was, base[lane]);
  };
  const std::size_t k = now.width();
  const float* x = now.factors.data() + static_cast<std::size_t>(first) * k;
  const float* y = before.factors.data() + static_cast<std::size_t>(first) * k;
  const std::size_t n = static_cast<std::size_t>(count) * k;
  std::size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) add(lane, x[j + lane], y[j + lane]);
  }
  for (; j < n; ++j) add(0, x[j], y[j]);
  for (std::uint32_t r = first; r < first + count; ++r) add(0, now.bias[r], before.bias[r]);
  SquaredChange change;
  for (std::size_t lane = 0; lane < kLanes; ++lane) {
    change.difference += difference[lane];
    change.before += base[lane];
  }
  return change;
}

SquaredChange squared_change(const FactorBlock& now, const FactorBlock& before) {
  return squared_change(now, before, 0, now.rows);
}

double relative_change(const dist::Comm& comm, const SquaredChange& local) {
  std::array<double, 2> sums{local.difference, local.before};
  comm.allreduce<double>(sums, dist::Op::kSum);
  if (sums[1] > 0.0) return std::sqrt(sums[0] / sums[1]);
  return sums[0] > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
}

}  // namespace dmf::model
