#include "dmf/core/parallel.hpp"

#include <sched.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "dmf/core/error.hpp"

namespace dmf {

int available_cores() {
  // The affinity mask, not the machine's core count: under mpirun or srun a
  // rank is usually bound to a subset of the cores.
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    const int count = CPU_COUNT(&mask);
    if (count > 0) return count;
  }
  return 1;
}

int resolve_threads(int requested) {
  return resolve_threads(requested, std::getenv("OMP_NUM_THREADS"), available_cores());
}

int resolve_threads(int requested, const char* omp_num_threads, int cores) {
  // Far more threads than cores only costs memory (a stack and scratch space
  // each) and time; tens of thousands make thread creation itself fail.
  const long limit = static_cast<long>(kMaxThreadsPerCore) * cores;
  const auto bounded = [&](long value, std::string_view source) {
    DMF_CHECK(value <= limit,
              "{} asks for {} threads, more than {} x the {} core(s) this rank may use ({}); "
              "give at most {}",
              source, value, kMaxThreadsPerCore, cores, limit, limit);
    return static_cast<int>(value);
  };
  if (requested > 0) return bounded(requested, fmt::format("--threads {}", requested));
  if (omp_num_threads != nullptr && *omp_num_threads != '\0') {
    const std::string text(omp_num_threads);
    long value = 0;
    std::size_t used = 0;
    try {
      value = std::stol(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    DMF_CHECK(used > 0 && value > 0, "OMP_NUM_THREADS='{}' is not a positive integer", text);
    return bounded(value, fmt::format("OMP_NUM_THREADS={}", text));
  }
  return cores;
}

}  // namespace dmf
