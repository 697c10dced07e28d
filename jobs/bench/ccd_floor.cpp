// The memory floor of a CCD++ epoch (docs/design.md §4, ccd): a pass over
// one side's ratings that does nothing but what every CCD++ pass must, read
// each rating's residual and its slot (the other side's row), read that
// row's value of the coordinate (in cache), and write the residual back:
// 12 bytes a rating from memory. An epoch at k is 2(k + 1) such passes as
// dmf arranges it (the user side, then the item side, for each of the k + 1
// coordinates with the biases), at least k + 1 in any arrangement that
// keeps the residuals up to date. jobs/bench/ccd.sh runs it beside LIBMF
// and dmf's ccd in one run; alone: build/jobs/bench/dmf_bench_ccd_floor.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <vector>

namespace {

/// 10M ratings over 10,677 rows on the other side, as the ml10m shape.
constexpr std::size_t kRatings = 10'000'000;
constexpr std::uint32_t kOtherRows = 10'677;

void BM_ResidualPass(benchmark::State& state) {
  const auto threads = static_cast<int>(state.range(0));
  std::vector<float> residual(kRatings, 1.0F);
  std::vector<std::uint32_t> slot(kRatings);
  std::vector<float> column(kOtherRows + 1, 0.5F);
  for (std::size_t i = 0; i < kRatings; ++i) {
    slot[i] = static_cast<std::uint32_t>((i * 7919U) % kOtherRows);
  }
  const auto n = static_cast<std::int64_t>(kRatings);
  for (auto _ : state) {
    double sum = 0.0;
    // A pass adds back one coordinate's term and sums the closed form's
    // numerator, as ccd's does: the arithmetic hides under the stream.
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : sum)
    for (std::int64_t i = 0; i < n; ++i) {
      const auto at = static_cast<std::size_t>(i);
      const float e = residual[at] + column[slot[at]] * 0.001F;
      residual[at] = e;
      sum += static_cast<double>(e) * column[slot[at] + 1];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * n * 12);
  state.counters["threads"] = threads;
}

}  // namespace

BENCHMARK(BM_ResidualPass)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
