// The column lists the format and line-parser tests use: user, item, rating
// (and time). One definition, so the two test files can share a unity batch.
#pragma once

#include <vector>

#include "dmf/io/format.hpp"

namespace dmf::io::fixtures {

inline const std::vector<Column> kUir{Column::kUser, Column::kItem, Column::kRating};
inline const std::vector<Column> kUirt{Column::kUser, Column::kItem, Column::kRating,
                                       Column::kTime};

}  // namespace dmf::io::fixtures
