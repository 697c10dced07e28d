// Names of enum values, declared next to each enum so that code, CLI options
// and files share one spelling.
#pragma once

#include <concepts>
#include <span>
#include <string_view>
#include <type_traits>

namespace dmf {

/// One (value, name) pair. An enum E is named when `enum_names(E{})`, found
/// by ADL, returns a span of these.
template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  { enum_names(e) } -> std::convertible_to<std::span<const EnumName<E>>>;
};

template <NamedEnum E>
[[nodiscard]] std::string_view to_string(E value) {
  for (const auto& entry : enum_names(E{})) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

/// The value named `name`; false (and `value` untouched) when none is.
template <NamedEnum E>
[[nodiscard]] bool from_string(std::string_view name, E& value) {
  for (const auto& entry : enum_names(E{})) {
    if (entry.name == name) {
      value = entry.value;
      return true;
    }
  }
  return false;
}

}  // namespace dmf
