#include "dmf/core/parallel.hpp"

#include <sched.h>

#include <cstdlib>
#include <string>

#include "dmf/core/error.hpp"

namespace dmf {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr && *env != '\0') {
    try {
      const int value = std::stoi(env);
      if (value > 0) return value;
    } catch (const std::exception&) {
    }
    fail("OMP_NUM_THREADS='{}' is not a positive integer", env);
  }
  // The affinity mask, not the machine's core count: under mpirun or srun a
  // rank is usually bound to a subset of the cores.
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    const int count = CPU_COUNT(&mask);
    if (count > 0) return count;
  }
  return 1;
}

}  // namespace dmf
