#include "support/uneven_model.hpp"

#include <algorithm>
#include <random>

namespace dmf::test {

WholeModel random_whole_model(std::uint32_t users, std::uint32_t items, int k, bool ties,
                              unsigned seed, int max_step) {
  WholeModel m;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> step(-max_step, max_step);
  auto value = [&] {
    return ties ? static_cast<float>(step(rng)) / 4.0F
                : std::normal_distribution<float>(0.0F, 1.0F)(rng);
  };
  const auto width = static_cast<std::uint32_t>(k);
  for (std::uint32_t u = 0; u < users * width; ++u) m.p.push_back(value());
  for (std::uint32_t i = 0; i < items * width; ++i) m.q.push_back(value());
  for (std::uint32_t u = 0; u < users; ++u) m.bu.push_back(value());
  for (std::uint32_t i = 0; i < items; ++i) m.bi.push_back(value());
  return m;
}

std::pair<std::uint32_t, std::uint32_t> uneven_rows(const dist::Comm& comm, std::uint32_t total) {
  std::vector<std::uint32_t> weight(static_cast<std::size_t>(comm.size()), 2);
  if (comm.size() >= 3) weight[1] = 0;
  weight[0] = 3;
  std::uint32_t sum = 0;
  for (auto w : weight) sum += w;
  std::uint32_t begin = 0;
  for (int r = 0; r < comm.rank(); ++r) begin += total * weight[static_cast<std::size_t>(r)] / sum;
  const std::uint32_t end =
      comm.rank() + 1 == comm.size()
          ? total
          : begin + total * weight[static_cast<std::size_t>(comm.rank())] / sum;
  return {begin, end - begin};
}

model::FactorBlock slice_rows(const std::vector<float>& factors, const std::vector<float>& bias,
                              std::uint32_t first, std::uint32_t rows, std::uint32_t total, int k) {
  model::FactorBlock b(first, rows, total, k);
  const auto width = static_cast<std::uint32_t>(k);
  std::copy_n(factors.begin() + first * width, rows * width, b.factors.begin());
  std::copy_n(bias.begin() + first, rows, b.bias.begin());
  return b;
}

}  // namespace dmf::test
