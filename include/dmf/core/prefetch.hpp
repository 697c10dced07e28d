// Prefetching the cache lines of a run of floats, for the kernels that read
// rows scattered over a matrix (ALS's and implicit ALS's passes, sgd's
// steps). Prefetching never changes a result.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmf {

/// Asks for the cache lines of `floats` floats from `first`: exactly the
/// lines they touch, whatever the alignment (a row of k = 64 on a line
/// boundary is 4 lines, not 5).
///
/// On x86 the prefetch is an asm statement: GCC counts __builtin_prefetch
/// (and Eigen's prefetch, which is it) as free of side effects, so at -O2
/// and above (-ffinite-loops) it deletes a loop that only prefetches: ALS's
/// cg passes ran without any of their prefetches until this.
inline void prefetch_floats(const float* first, std::size_t floats) {
  constexpr std::uintptr_t kLine = 64;
  const auto begin = reinterpret_cast<std::uintptr_t>(first) & ~(kLine - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(first + floats);
  for (std::uintptr_t line = begin; line < end; line += kLine) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 %0" : : "m"(*reinterpret_cast<const char*>(line)));
#else
    __builtin_prefetch(reinterpret_cast<const void*>(line));
#endif
  }
}

}  // namespace dmf
