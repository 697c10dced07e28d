// Where gd's sparse item-gradient sum beats the dense one: the seconds of one
// dist::RowAllreduce::reduce() call, --sparse-allreduce off and on alternated
// call by call in the same run, for a matrix of ITEMS rows of k + 2 doubles
// (gd's item sums) of which each rank touched a fraction f (distinct random
// rows per rank, as a step's ratings touch items). The `auto` rule of
// row_allreduce.cpp is set from the crossover this prints (docs/design.md §4,
// gd). A benchmark, not a test:
//
//   mpirun -n 2 build-bench/jobs/bench/dmf_bench_allreduce [ROUNDS] [ITEMS...]
//
// CSV on rank 0: ranks, items, k, f, touched (over all ranks), dense and
// sparse seconds per call (median over ROUNDS [30]), sparse / dense, which
// one `auto` picks, and the seconds of one bare MPI_Allreduce of the whole
// matrix (the dense sum's collective at two ranks; beyond two it adds in
// rank order itself).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/dist/environment.hpp"
#include "dmf/dist/row_allreduce.hpp"

namespace {

using dmf::dist::Comm;
using dmf::dist::RowAllreduce;
using dmf::dist::SparseMode;

double median(std::vector<double> v) {
  std::ranges::sort(v);
  return v[v.size() / 2];
}

/// Seconds of one reduce() call, the slowest rank's, between two barriers.
double timed_call(const Comm& comm, RowAllreduce& sum, const std::vector<std::uint32_t>& rows,
                  const std::vector<double>& values) {
  comm.barrier();
  const auto start = std::chrono::steady_clock::now();
  sum.reduce(comm, rows, values);
  const double mine =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return comm.allreduce(mine, dmf::dist::Op::kMax);
}

/// Seconds of one MPI_Allreduce of `matrix`, the slowest rank's.
double timed_mpi(const Comm& comm, std::vector<double>& matrix) {
  comm.barrier();
  const auto start = std::chrono::steady_clock::now();
  comm.allreduce<double>(matrix, dmf::dist::Op::kSum);
  const double mine =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return comm.allreduce(mine, dmf::dist::Op::kMax);
}

}  // namespace

int main(int argc, char** argv) {
  dmf::dist::Environment mpi(argc, argv);
  {
    const Comm comm = Comm::world();
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 30;
    std::vector<std::uint32_t> item_counts;
    for (int a = 2; a < argc; ++a)
      item_counts.push_back(static_cast<std::uint32_t>(std::atol(argv[a])));
    if (item_counts.empty()) item_counts = {3706, 10677, 69878};
    const std::vector<double> fractions{0.02, 0.05, 0.1, 0.2, 0.3, 0.35,
                                        0.4,  0.45, 0.5, 0.6, 0.8, 1.0};
    if (comm.is_root()) {
      std::printf(
          "ranks,items,k,f,touched,dense_s,sparse_s,sparse_over_dense,auto,mpi_allreduce_s\n");
    }
    for (const std::uint32_t items : item_counts) {
      for (const int k : {10, 64}) {
        const std::size_t width = static_cast<std::size_t>(k) + 2;
        for (const double f : fractions) {
          // This rank's touched rows: a seeded random subset, ascending.
          std::vector<std::uint32_t> all(items);
          std::iota(all.begin(), all.end(), 0U);
          std::mt19937_64 random(1000U * static_cast<unsigned>(comm.rank()) + items);
          std::ranges::shuffle(all, random);
          std::vector<std::uint32_t> rows(all.begin(),
                                          all.begin() + static_cast<std::ptrdiff_t>(f * items));
          std::ranges::sort(rows);
          std::vector<double> values(rows.size() * width, 0.5);
          RowAllreduce dense(items, width, SparseMode::kOff);
          RowAllreduce sparse(items, width, SparseMode::kOn);
          const RowAllreduce automatic(items, width, SparseMode::kAuto);
          const auto counts = comm.allgather<std::uint64_t>(rows.size());
          std::vector<double> dense_s;
          std::vector<double> sparse_s;
          std::vector<double> mpi_s;
          std::vector<double> matrix(static_cast<std::size_t>(items) * width, 0.5);
          for (int r = -2; r < rounds; ++r) {  // two rounds to warm up
            const double d = timed_call(comm, dense, rows, values);
            const double s = timed_call(comm, sparse, rows, values);
            const double m = timed_mpi(comm, matrix);
            if (r >= 0) {
              dense_s.push_back(d);
              sparse_s.push_back(s);
              mpi_s.push_back(m);
            }
          }
          if (comm.is_root()) {
            const double d = median(dense_s);
            const double s = median(sparse_s);
            std::printf("%d,%u,%d,%.2f,%llu,%.3g,%.3g,%.3f,%s,%.3g\n", comm.size(), items, k, f,
                        static_cast<unsigned long long>(
                            std::accumulate(counts.begin(), counts.end(), std::uint64_t{0})),
                        d, s, s / d,
                        automatic.goes_sparse(counts, comm.size()) ? "sparse" : "dense",
                        median(mpi_s));
            std::fflush(stdout);
          }
        }
      }
    }
  }
  dmf::dist::Environment::finalize();
  return 0;
}
