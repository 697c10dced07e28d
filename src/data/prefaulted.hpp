// Sizing an array whose fresh pages are mapped in one call (docs/design.md §3).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dmf/core/error.hpp"

namespace dmf::data::detail {

/// Sizes the empty `v` to `n` elements (zeros, or unwritten for an
/// UninitVector), first mapping its new pages with one
/// madvise(MADV_POPULATE_WRITE) between the allocation (reserve: nothing
/// touched yet) and the first touch (resize's zeros, or for an UninitVector
/// whatever fills it). The kernel still clears every page, but without a
/// fault per 4 KiB page (the faults are most of a data set's load, §3).
/// Where the kernel refuses the call (before Linux 5.14), resize faults the
/// pages in as before. Ordinary pages on purpose: see §3 on 2 MiB pages.
template <class T, class Allocator>
void size_prefaulted(std::vector<T, Allocator>& v, std::size_t n) {
  DMF_CHECK(v.empty(), "internal: prefaulting a filled array");
  constexpr std::size_t kWorthIt = std::size_t{1} << 20U;  // bytes; smaller arrays just fault
  if (n * sizeof(T) >= kWorthIt && v.capacity() < n) {
    v.reserve(n);
#ifdef MADV_POPULATE_WRITE
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(v.data()) & ~(page - 1);
    const auto end = reinterpret_cast<std::uintptr_t>(v.data() + n);
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);  // a hint
#endif
  }
  v.resize(n);
}

}  // namespace dmf::data::detail
