// The SIMD and cache facts ALS's kernels share (the Gram build and gather in
// row_solver.cpp, the conjugate-gradient passes in cg_pass.cpp): Eigen's
// widest float packet on this build and how far ahead a pass prefetches the
// scattered feature rows it reads.
#pragma once

#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

#include "dmf/core/prefetch.hpp"

namespace dmf::solvers::als_simd {

/// The widest SIMD packet of floats Eigen uses on this build (16 lanes with
/// AVX-512, 8 with AVX, 4 with SSE).
using Packet = Eigen::internal::packet_traits<float>::type;
inline constexpr int kPacketFloats = Eigen::internal::packet_traits<float>::size;

/// Ratings ahead whose feature row a pass prefetches: the rows are read in
/// slot order, scattered over the other side's matrix, from L3 or memory.
inline constexpr std::size_t kPrefetchAhead = 16;
inline constexpr std::size_t kCacheLineFloats = 64 / sizeof(float);

/// The scattered feature rows' prefetch (core/prefetch.hpp).
using dmf::prefetch_floats;

}  // namespace dmf::solvers::als_simd
