// The ALS row kernel (RowSolver::solve) on MovieLens-10M-like rows, and an
// Eigen SGEMM in the same binary, so "normal-equation build GFLOP/s over
// SGEMM GFLOP/s" is a ratio from one run on one core (EIGEN_DONT_PARALLELIZE
// holds here as in dmf). als.sh measures whole epochs.
//
// FLOP/s of the row kernels count k(k+1) flops per rating (one side), the
// benchmark's unit (RowSolver::gram_flops): the lower triangle of the
// (k+1)×(k+1) Gram matrix at two flops per multiply-add.
//
//   BM_RowSolve/k/degree   the whole kernel: gather, Gram build, Cholesky
//                          (the dual n×n system when degree < k+1)
//   BM_RowSolveCg/k/degree RowSolver::solve_cg, 3 warm-started steps
//   BM_GramBuild/k/degree  its first phase alone (gather, register tiles)
//   BM_GramBuildL3/k/1500  the same over 69,878 feature rows (L3, not L2)
//   BM_GramBuildEigen/k/degree  the same with Eigen's rank update (the kernel
//                          before its tiles), for comparison
//   BM_Cholesky/k          its second phase alone (LLT in double, solve)
//   BM_CholeskyEigen/k     Eigen's unblocked LLT at that size, for comparison
//   BM_SquaredError/k      the error pass, per rating
//   BM_Sgemm/n             n×n×n float product: the machine's SGEMM figure
//   BM_Triad/MiB           a = b + s·c: the memory (or L3) bandwidth figure
//   BM_SgemmChunk/k        XᵀX with X 256×(k+1): a GEMM of the kernel's shape
//   BM_DistinctColumns/marks  the exchange plan's wanted rows and per-rating
//                          slots (AlsSolver's set-up, once per run) for 9M
//                          ratings over 70,000 rows: marked (1) or sorted (0)
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "dmf/core/rng.hpp"
#include "dmf/solvers/als/row_solver.hpp"
#include "dmf/solvers/distinct_columns.hpp"

namespace {

/// Rows of the other side a row can draw features from (the items of
/// MovieLens-10M, rounded).
constexpr std::uint32_t kFeatureRows = 10000;
/// Distinct rows solved per iteration, so one row's slots do not stay hot.
constexpr int kRowsPerIteration = 64;

/// A packed feature matrix (k factors then the bias, per row) and
/// kRowsPerIteration rows of `degree` ratings each, drawn uniformly.
struct Rows {
  int k;
  std::size_t width;
  std::vector<float> features;
  std::vector<std::vector<std::uint32_t>> slots;
  std::vector<std::vector<float>> values;

  Rows(int k_, std::size_t degree, std::uint32_t feature_rows = kFeatureRows)
      : k(k_), width(static_cast<std::size_t>(k_) + 1) {
    dmf::Rng rng(static_cast<std::uint64_t>(k_) * 1000003 + degree);
    features.resize(feature_rows * width);
    // Entries N(0, 1/k) as trained factors are, about: a row's norm near 1.
    const double scale = 1.0 / std::sqrt(static_cast<double>(k_));
    for (auto& f : features) f = static_cast<float>(scale * rng.normal());
    slots.resize(kRowsPerIteration);
    values.resize(kRowsPerIteration);
    for (int r = 0; r < kRowsPerIteration; ++r) {
      auto& s = slots[static_cast<std::size_t>(r)];
      auto& v = values[static_cast<std::size_t>(r)];
      for (std::size_t j = 0; j < degree; ++j) {
        s.push_back(static_cast<std::uint32_t>(rng.below(feature_rows)));
        v.push_back(static_cast<float>(1 + rng.below(5)));
      }
      std::ranges::sort(s);  // a CSR row's columns are sorted
    }
  }

  [[nodiscard]] dmf::solvers::RowRatings row(int r) const {
    const auto i = static_cast<std::size_t>(r);
    return {slots[i], values[i], features.data(), width};
  }
};

void set_flops(benchmark::State& state, double flops_per_iteration) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_iteration * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::OneK::kIs1000);
}

void BM_RowSolve(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  const auto degree = static_cast<std::size_t>(state.range(1));
  const Rows rows(k, degree);
  dmf::solvers::RowSolver solver(k, true);
  std::vector<float> factors(static_cast<std::size_t>(k));
  float bias = 0.0F;
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      solver.solve(rows.row(r), 3.5F, 0.05 * static_cast<double>(degree), factors, bias);
      benchmark::DoNotOptimize(factors.data());
    }
  }
  set_flops(state, dmf::solvers::RowSolver::gram_flops(k, degree * kRowsPerIteration));
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);  // rows/s
}

// RowSolver::solve_cg with 3 steps (the `implicit` library's default), each
// row warm-started from the previous row's result: 4 passes of O(degree·k)
// over the ratings instead of the Gram build's O(degree·k²) and the O(k³)
// Cholesky. FLOP/s in the Gram build's unit, so that it compares with
// BM_RowSolve as rows per second do.
void BM_RowSolveCg(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  const auto degree = static_cast<std::size_t>(state.range(1));
  const Rows rows(k, degree);
  dmf::solvers::RowSolver solver(k, true);
  std::vector<float> factors(static_cast<std::size_t>(k), 0.0F);
  float bias = 0.0F;
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      solver.solve_cg(rows.row(r), 3.5F, 0.05 * static_cast<double>(degree), 3, factors, bias);
      benchmark::DoNotOptimize(factors.data());
    }
  }
  set_flops(state, dmf::solvers::RowSolver::gram_flops(k, degree * kRowsPerIteration));
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);  // rows/s
  // Feature rows read: 4 passes (the starting residual and 3 steps).
  state.SetBytesProcessed(state.iterations() * kRowsPerIteration * 4 *
                          static_cast<std::int64_t>(degree * rows.width * sizeof(float)));
}

// The Gram build of row_solver.cpp without the Cholesky
// (RowSolver::build_normal_equations), so that GramBuild + Cholesky ≈
// RowSolve shows where a row's time goes.
void BM_GramBuild(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  const auto degree = static_cast<std::size_t>(state.range(1));
  const Rows rows(k, degree);
  dmf::solvers::RowSolver solver(k, true);
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      solver.build_normal_equations(rows.row(r), 3.5F);
      benchmark::DoNotOptimize(solver.gram().data());
    }
  }
  set_flops(state, dmf::solvers::RowSolver::gram_flops(k, degree * kRowsPerIteration));
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);
}

// BM_GramBuild with the features of MovieLens-10M's users (69,878 rows, 18
// MB at k = 64: beyond L2, in L3), as the item half-sweep reads them: what
// the gather's cache misses cost.
void BM_GramBuildL3(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  const auto degree = static_cast<std::size_t>(state.range(1));
  const Rows rows(k, degree, 69878);
  dmf::solvers::RowSolver solver(k, true);
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      solver.build_normal_equations(rows.row(r), 3.5F);
      benchmark::DoNotOptimize(solver.gram().data());
    }
  }
  set_flops(state, dmf::solvers::RowSolver::gram_flops(k, degree * kRowsPerIteration));
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);
}

// The Gram build as Eigen does it (the kernel before its register tiles):
// chunks of 256 gathered rows x_i = [q_i; 1] (a copy per rating), G += Σ x_i
// x_iᵀ as a float rank update (Eigen's GEMM, which packs the chunk again),
// summed in double, r += Σ y_i x_i as a second product.
void BM_GramBuildEigen(benchmark::State& state) {
  using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto k = static_cast<int>(state.range(0));
  const auto degree = static_cast<std::size_t>(state.range(1));
  const Rows rows(k, degree);
  const auto dim = static_cast<Eigen::Index>(k + 1);
  const auto kChunk = dmf::solvers::RowSolver::kChunk;
  RowMajorF chunk(static_cast<Eigen::Index>(kChunk), dim);
  Eigen::VectorXf targets(static_cast<Eigen::Index>(kChunk));
  Eigen::MatrixXf gram_chunk(dim, dim);
  Eigen::VectorXf rhs_chunk(dim);
  Eigen::MatrixXd gram(dim, dim);
  Eigen::VectorXd rhs(dim);
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      const auto row = rows.row(r);
      gram.setZero();
      rhs.setZero();
      for (std::size_t begin = 0; begin < degree; begin += kChunk) {
        const std::size_t count = std::min(kChunk, degree - begin);
        for (std::size_t j = 0; j < count; ++j) {
          const float* feature = row.features + row.slots[begin + j] * row.feature_width;
          float* x = chunk.row(static_cast<Eigen::Index>(j)).data();
          std::copy_n(feature, k, x);
          x[k] = 1.0F;
          targets[static_cast<Eigen::Index>(j)] = row.values[begin + j] - 3.5F - feature[k];
        }
        const auto features = chunk.topRows(static_cast<Eigen::Index>(count));
        gram_chunk.setZero();
        gram_chunk.selfadjointView<Eigen::Lower>().rankUpdate(features.transpose());
        rhs_chunk.noalias() = features.transpose() * targets.head(features.rows());
        gram.triangularView<Eigen::Lower>() += gram_chunk.cast<double>();
        rhs += rhs_chunk.cast<double>();
      }
      benchmark::DoNotOptimize(gram.data());
      benchmark::DoNotOptimize(rhs.data());
    }
  }
  set_flops(state, dmf::solvers::RowSolver::gram_flops(k, degree * kRowsPerIteration));
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);
}

// The kernel's second phase (RowSolver::solve_normal_equations): Cholesky of
// the (k+1)×(k+1) system in double, the two triangular solves and the
// squared error, on the equations of one row of degree 150 (the time does
// not depend on the degree).
void BM_Cholesky(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  const Rows rows(k, 150);
  dmf::solvers::RowSolver solver(k, true);
  solver.build_normal_equations(rows.row(0), 3.5F);
  std::vector<float> factors(static_cast<std::size_t>(k));
  float bias = 0.0F;
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      benchmark::DoNotOptimize(solver.solve_normal_equations(7.5, factors, bias));
    }
  }
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);
}

// Eigen's unblocked LLT and triangular solves on a system of the same size
// (the kernel's factorization before its own), for comparison.
void BM_CholeskyEigen(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  const auto dim = static_cast<Eigen::Index>(k + 1);
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(4 * dim, dim);
  Eigen::MatrixXd gram = x.transpose() * x;
  gram.diagonal().array() += 1.0;
  const Eigen::VectorXd rhs = Eigen::VectorXd::Random(dim);
  Eigen::MatrixXd factor(dim, dim);
  Eigen::VectorXd solution(dim);
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      factor.triangularView<Eigen::Lower>() = gram;
      const auto failed = Eigen::internal::llt_inplace<double, Eigen::Lower>::unblocked(factor);
      benchmark::DoNotOptimize(failed);
      solution = rhs;
      factor.triangularView<Eigen::Lower>().solveInPlace(solution);
      factor.triangularView<Eigen::Lower>().adjoint().solveInPlace(solution);
      benchmark::DoNotOptimize(solution.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration);
}

void BM_SquaredError(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  constexpr std::size_t kDegree = 150;
  const Rows rows(k, kDegree);
  const std::vector<float> factors(static_cast<std::size_t>(k), 0.1F);
  for (auto _ : state) {
    for (int r = 0; r < kRowsPerIteration; ++r) {
      benchmark::DoNotOptimize(
          dmf::solvers::RowSolver::squared_error(rows.row(r), 3.5F, factors, 0.1F));
    }
  }
  state.SetItemsProcessed(state.iterations() * kRowsPerIteration *
                          static_cast<std::int64_t>(kDegree));  // ratings/s
}

// The memory reference: a = b + s·c over float arrays of `mib` MiB each,
// bytes/s counting the two reads and the write. 16 MiB arrays fit this VM's
// L3, 256 MiB ones do not (main memory).
void BM_Triad(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0)) * (1 << 20) / 4;
  const Eigen::VectorXf b = Eigen::VectorXf::Constant(n, 1.0F);
  const Eigen::VectorXf c = Eigen::VectorXf::Constant(n, 2.0F);
  Eigen::VectorXf a(n);
  for (auto _ : state) {
    a = b + 0.5F * c;
    benchmark::DoNotOptimize(a.data());
  }
  state.SetBytesProcessed(state.iterations() * 3 * n * static_cast<std::int64_t>(sizeof(float)));
}

// The reference: a square float GEMM, large enough that Eigen's packing is
// amortised and its blocking reaches its best, small enough for L2/L3.
void BM_Sgemm(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
  const Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n));
}

// A general GEMM at the shape of one chunk's rank update (a full (k+1)² product
// where the kernel computes a triangle): what GEMM itself reaches there.
void BM_SgemmChunk(benchmark::State& state) {
  using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto dim = static_cast<Eigen::Index>(state.range(0) + 1);
  const auto rows = static_cast<Eigen::Index>(dmf::solvers::RowSolver::kChunk);
  const RowMajorF x = RowMajorF::Random(rows, dim);
  Eigen::MatrixXf c(dim, dim);
  for (auto _ : state) {
    c.noalias() = x.transpose() * x;
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, 2.0 * static_cast<double>(rows) * static_cast<double>(dim * dim));
}

// The set-up's column pass at MovieLens-10M's item side (9M ratings whose
// columns are users, 69,878 of them), each CSR row's columns ascending:
// marking the range against the sort and binary searches it replaced.
void BM_DistinctColumns(benchmark::State& state) {
  constexpr std::size_t kRatings = 9'000'000;
  constexpr std::uint32_t kColumns = 69878;
  constexpr std::size_t kDegree = 843;  // 10,677 items
  dmf::Rng rng(5);
  std::vector<std::uint32_t> columns(kRatings);
  for (std::size_t begin = 0; begin < kRatings; begin += kDegree) {
    const auto end = std::min(kRatings, begin + kDegree);
    for (std::size_t j = begin; j < end; ++j)
      columns[j] = static_cast<std::uint32_t>(rng.below(kColumns));
    std::sort(columns.begin() + static_cast<std::ptrdiff_t>(begin),
              columns.begin() + static_cast<std::ptrdiff_t>(end));
  }
  const std::size_t max_marked = state.range(0) != 0 ? kColumns : 0;
  std::vector<std::uint32_t> slots;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dmf::solvers::distinct_columns(columns, slots, max_marked).data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRatings));
}

// Degrees: the MovieLens floor (20), a typical user (150), a popular item
// (1500, several chunks).
BENCHMARK(BM_RowSolve)
    ->ArgsProduct({{32, 64, 128}, {20, 150, 1500}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RowSolveCg)
    ->ArgsProduct({{32, 64, 128}, {20, 150, 1500}})
    ->Unit(benchmark::kMicrosecond);
// The split applies to the primal path only: at degree 20 < k+1 the kernel
// solves the 20 × 20 dual system instead.
BENCHMARK(BM_GramBuild)->ArgsProduct({{32, 64, 128}, {150, 1500}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GramBuildL3)->ArgsProduct({{64, 128}, {1500}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GramBuildEigen)
    ->ArgsProduct({{32, 64, 128}, {150, 1500}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Cholesky)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CholeskyEigen)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SquaredError)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sgemm)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Triad)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmChunk)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DistinctColumns)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
