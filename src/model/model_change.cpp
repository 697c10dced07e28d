#include "dmf/model/model_change.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "dmf/core/error.hpp"

namespace dmf::model {

SquaredChange squared_change(const FactorBlock& now, const FactorBlock& before,
                             std::uint32_t first, std::uint32_t count) {
  DMF_CHECK(now.k == before.k && now.rows == before.rows && first + count <= now.rows,
            "squared_change: blocks of {}×{} and {}×{}, rows [{}, {})", now.rows, now.k,
            before.rows, before.k, first, first + count);
  SquaredChange change;
  const auto add = [&](float a, float b) {
    const double d = static_cast<double>(a) - b;
    change.difference += d * d;
    change.before += static_cast<double>(b) * b;
  };
  const std::size_t k = now.width();
  for (std::size_t j = first * k; j < (first + count) * k; ++j) add(now.factors[j], before.factors[j]);
  for (std::uint32_t r = first; r < first + count; ++r) add(now.bias[r], before.bias[r]);
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
