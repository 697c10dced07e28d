// What to do when a (user, item) pair is rated more than once.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dmf/core/enum_names.hpp"

namespace dmf::data {

enum class DuplicatePolicy {
  kError,  // stop with the first duplicated pairs and their lines
  kFirst,  // keep the rating on the earliest line
  kLast,   // keep the rating on the latest line
  kMean,   // their mean
  kSum,    // their sum (e.g. play counts)
};

inline std::span<const EnumName<DuplicatePolicy>> enum_names(DuplicatePolicy /*tag*/) {
  static constexpr std::array<EnumName<DuplicatePolicy>, 5> kNames{{
      {DuplicatePolicy::kError, "error"},
      {DuplicatePolicy::kFirst, "first"},
      {DuplicatePolicy::kLast, "last"},
      {DuplicatePolicy::kMean, "mean"},
      {DuplicatePolicy::kSum, "sum"},
  }};
  return kNames;
}

/// One duplicated pair met while building a block, for the error message.
struct DuplicateExample {
  std::uint32_t row = 0;     // global row (user on the user side)
  std::uint32_t column = 0;  // global column
  std::uint64_t first_line = 0;
  std::uint64_t second_line = 0;
};

}  // namespace dmf::data
