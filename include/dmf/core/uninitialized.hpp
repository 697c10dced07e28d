// Vectors whose new elements are left uninitialized by resize (default-
// initialized, which for numbers means nothing is written), for arrays that
// are filled right after sizing: a read or a parallel fill then makes the
// first touch of every page, instead of resize's zeros doing it and the fill
// writing a second time (docs/design.md §3).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace dmf {

template <class T, class Base = std::allocator<T>>
class DefaultInitAllocator : public Base {
  using Traits = std::allocator_traits<Base>;

 public:
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U, typename Traits::template rebind_alloc<U>>;
  };

  using Base::Base;

  /// Without arguments: default-initialized (for numbers, not written).
  template <class U>
  void construct(U* where) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(where)) U;
  }
  template <class U, class... Args>
  void construct(U* where, Args&&... args) {
    Traits::construct(static_cast<Base&>(*this), where, std::forward<Args>(args)...);
  }
};

/// A std::vector whose resize does not write its new elements.
template <class T>
using UninitVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace dmf
