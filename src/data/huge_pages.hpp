// Large arrays a load fills at once (the blocks, the arrays read from a data
// set, the records sent), backed by 2 MiB pages where the kernel offers them
// on request (transparent huge pages in "madvise" mode, the usual default):
// the first touch of 4 KiB pages costs a fault per page (faults and zeroing
// were a fifth of a data set load's profile), one per 2 MiB much less, and
// the scattered writes of a transpose miss the TLB less. Elsewhere the
// advice is ignored and the array is an ordinary one (docs/design.md §3).
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <vector>

namespace dmf::data {

/// Resizes the empty `v` to `n` elements (value-initialized, as resize
/// does), first advising the kernel to back its whole 2 MiB pages with huge
/// pages. The advice is a hint: a refusal changes nothing.
template <class T>
void resize_on_huge_pages(std::vector<T>& v, std::size_t n) {
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20U;
  v.reserve(n);  // untouched until the resize below
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t last = (begin + n * sizeof(T)) & ~(kHugePage - 1);
  if (last > first) {
    (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
  v.resize(n);
}

}  // namespace dmf::data
