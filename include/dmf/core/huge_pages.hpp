// Sizing an array on transparent huge pages (docs/design.md §3).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"

namespace dmf {

/// Sizes the empty `v` to `n` numbers (zeros in a std::vector; an
/// UninitVector's are whatever its memory held, for the fill to overwrite),
/// with capacity for `room` numbers (at least n; those past n are not
/// touched, so not resident, until a later sizing within that capacity
/// uses them, which allocates nothing new).
///
/// Newly allocated space is asked to be backed by 2 MiB pages: the blocks'
/// and the transpose's send arrays are filled at scattered rows (a row's
/// run all over the array), where 4 KiB pages cost a TLB miss nearly every
/// write. The hint goes in between the allocation (reserve: nothing touched
/// yet) and the first touch, made in order here, a write per 4 KiB (a
/// 10M-rating text load at 2 x 1 was 6% slower when the scattered fill made
/// the first touch instead), by `threads` threads, each over its share of
/// the pages (a 10M-rating data set's arrays at 1 rank x 2 threads, touched
/// by one thread, waited 0.06-0.15 s longer in most loads, by both in 0 to
/// 2 of 5). Where the kernel refuses the hint, the pages are ordinary.
template <class T, class Allocator>
void size_on_huge_pages(std::vector<T, Allocator>& v, std::size_t n, std::size_t room = 0,
                        int threads = 1) {
  DMF_CHECK(v.empty(), "internal: sizing a filled array on huge pages");
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20U;
  room = std::max(room, n);
  if (v.capacity() < n) {
    v.reserve(room);
    const auto begin =
        (reinterpret_cast<std::uintptr_t>(v.data()) + kHugePage - 1) & ~(kHugePage - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(v.data() + room)) & ~(kHugePage - 1);
    if (room * sizeof(T) >= 2 * kHugePage && end > begin) {
      madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // a hint
    }
  }
  // The kernel hands out its pages zeroed (a 2 MiB one at the first write
  // into it): writing every number as well wrote them twice.
  v.resize(n);
  constexpr std::size_t kStride = std::max<std::size_t>(1, 4096 / sizeof(T));
  const std::size_t pages = (n + kStride - 1) / kStride;
  const auto shares = static_cast<std::size_t>(std::max(1, threads));
  T* const data = v.data();
  parallel_for(threads, static_cast<std::int64_t>(shares), [&](std::int64_t t) {
    const auto share = static_cast<std::size_t>(t);
    const std::size_t end = pages / shares * (share + 1) + std::min(share + 1, pages % shares);
    for (std::size_t p = pages / shares * share + std::min(share, pages % shares); p < end; ++p) {
      data[p * kStride] = T{};
    }
  });
}

}  // namespace dmf
