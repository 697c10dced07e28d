// Text forms of io value types, so they can be options (cli::TextValue).
#pragma once

#include <string>
#include <string_view>

#include "dmf/io/line_parser.hpp"

namespace dmf::io {

/// "MIN:MAX", e.g. "1:5" or "0.5:5".
void parse_value(std::string_view text, RatingRange& out);
[[nodiscard]] std::string format_value(const RatingRange& range);

}  // namespace dmf::io
