// Sizing an array on transparent huge pages (docs/design.md §3).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dmf/core/error.hpp"

namespace dmf {

/// Sizes the empty `v` to `n` numbers (zeros in a std::vector; an
/// UninitVector's are whatever its memory held, for the fill to overwrite),
/// with capacity for `room` numbers (at least n: those past n are not
/// touched, so not resident, until a later sizing within that capacity
/// uses them; no new allocation then), first asking the kernel to back
/// newly allocated space with 2 MiB pages: the
/// blocks' and the transpose's send arrays are filled at scattered rows (a
/// row's run all over the array), where 4 KiB pages cost a TLB miss nearly
/// every write. The hint goes in between the allocation (reserve: nothing
/// touched yet) and the first touch, made in order here, a write per 4 KiB
/// (a 10M-rating text load at 2 x 1 was 6% slower when the scattered fill
/// made the first touch instead); where the kernel refuses the hint, the
/// pages are ordinary.
template <class T, class Allocator>
void size_on_huge_pages(std::vector<T, Allocator>& v, std::size_t n, std::size_t room = 0) {
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
  for (std::size_t i = 0; i < n; i += kStride) v[i] = T{};
}

}  // namespace dmf
