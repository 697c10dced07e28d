// OpenMP with discipline (docs/design.md §9): the thread count is always passed in,
// exceptions thrown inside a parallel loop are captured and rethrown on the
// calling thread, and a one-thread run is a plain loop.
#pragma once

#include <cstdint>
#include <exception>
#include <mutex>

#include <omp.h>

namespace dmf {

/// At most this many threads per core a rank may use: more only cost memory
/// and time, and tens of thousands crash thread creation.
inline constexpr int kMaxThreadsPerCore = 16;

/// The cores this process may run on (its affinity mask), at least 1.
[[nodiscard]] int available_cores();

/// The thread count to use when the user asked for `requested` (0 = automatic):
/// OMP_NUM_THREADS if set, else the cores available to this process. Throws
/// dmf::Error when OMP_NUM_THREADS is not a positive integer or either asks
/// for more than kMaxThreadsPerCore threads per available core. The same
/// environment gives the same answer on every rank: callers agree on it
/// (dist::Comm::agree) so the error is reported once.
[[nodiscard]] int resolve_threads(int requested);

/// resolve_threads with its inputs given: `omp_num_threads` is the variable's
/// value (nullptr when unset), `cores` the cores available.
[[nodiscard]] int resolve_threads(int requested, const char* omp_num_threads, int cores);

/// Calls body(i) for i in [0, n) on `threads` threads with a static schedule.
/// The first exception thrown by any iteration is rethrown after the loop.
template <class Body>
void parallel_for(int threads, std::int64_t n, Body&& body) {
  if (threads <= 1 || n <= 1) {
    for (std::int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  std::exception_ptr failure;
  std::once_flag captured;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      body(i);
    } catch (...) {
      std::call_once(captured, [&] { failure = std::current_exception(); });
    }
  }
  if (failure) std::rethrow_exception(failure);
}

/// Calls body(i, worker) for i in [0, n) on `threads` threads, handing out
/// `grain` consecutive indices at a time to whichever thread is free (for
/// uneven work such as rows of very different degrees). `worker` in
/// [0, threads) indexes per-thread scratch space. Which thread runs an index
/// varies from run to run, so a body must not let the result depend on it.
template <class Body>
void parallel_for_dynamic(int threads, std::int64_t n, std::int64_t grain, Body&& body) {
  if (threads <= 1 || n <= 1) {
    for (std::int64_t i = 0; i < n; ++i) body(i, 0);
    return;
  }
  std::exception_ptr failure;
  std::once_flag captured;
  const int chunk = static_cast<int>(grain < 1 ? 1 : grain);
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk)
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      body(i, omp_get_thread_num());
    } catch (...) {
      std::call_once(captured, [&] { failure = std::current_exception(); });
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace dmf
