// Sizing a block's arrays on transparent huge pages (docs/design.md §3).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dmf/core/error.hpp"

namespace dmf::data::detail {

/// Sizes the empty `v` to `n` zeros, first asking the kernel to back its new
/// space with 2 MiB pages: the blocks' arrays are filled at scattered rows
/// (a row's run in the item block, a round's rows), where 4 KiB pages cost
/// a TLB miss nearly every write. The hint goes in between the allocation
/// (reserve: nothing touched yet) and the first touch (the zeros, written
/// in order even into an UninitVector: a 10M-rating text load at 2 x 1 was
/// 6% slower when the scattered fill made the first touch instead); where
/// the kernel refuses it, the pages are ordinary.
template <class T, class Allocator>
void size_on_huge_pages(std::vector<T, Allocator>& v, std::size_t n) {
  DMF_CHECK(v.empty(), "internal: sizing a filled array on huge pages");
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20U;
  if (n * sizeof(T) >= 2 * kHugePage && v.capacity() < n) {
    v.reserve(n);
    const auto begin =
        (reinterpret_cast<std::uintptr_t>(v.data()) + kHugePage - 1) & ~(kHugePage - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(v.data() + n)) & ~(kHugePage - 1);
    if (end > begin) {
      madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // a hint
    }
  }
  v.assign(n, T{});
}

}  // namespace dmf::data::detail
