// The SIMD and cache facts ALS's kernels share (the Gram build and gather in
// row_solver.cpp, the conjugate-gradient passes in cg_pass.cpp): Eigen's
// widest float packet on this build and how far ahead a pass prefetches the
// scattered feature rows it reads.
#pragma once

#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

namespace dmf::solvers::als_simd {

/// The widest SIMD packet of floats Eigen uses on this build (16 lanes with
/// AVX-512, 8 with AVX, 4 with SSE).
using Packet = Eigen::internal::packet_traits<float>::type;
inline constexpr int kPacketFloats = Eigen::internal::packet_traits<float>::size;

/// Ratings ahead whose feature row a pass prefetches: the rows are read in
/// slot order, scattered over the other side's matrix, from L3 or memory.
inline constexpr std::size_t kPrefetchAhead = 16;
inline constexpr std::size_t kCacheLineFloats = 64 / sizeof(float);

/// Asks for the cache lines of `floats` floats from `first`: exactly the
/// lines they touch, whatever the alignment (a row of k = 64 on a line
/// boundary is 4 lines, not 5).
///
/// On x86 the prefetch is an asm statement: GCC counts __builtin_prefetch
/// (and Eigen's prefetch, which is it) as free of side effects, so at -O2
/// and above (-ffinite-loops) it deletes a loop that only prefetches: the
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

}  // namespace dmf::solvers::als_simd
