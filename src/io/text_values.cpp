#include "dmf/io/text_values.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "dmf/core/error.hpp"

namespace dmf::io {
namespace {

double number(std::string_view text, std::string_view whole) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value)) {
    fail("expected MIN:MAX with two numbers, got '{}'", whole);
  }
  return value;
}

}  // namespace

void parse_value(std::string_view text, RatingRange& out) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) fail("expected MIN:MAX, got '{}'", text);
  const double min = number(text.substr(0, colon), text);
  const double max = number(text.substr(colon + 1), text);
  if (min > max) fail("MIN {} is above MAX {}", min, max);
  if (std::max(std::abs(min), std::abs(max)) > kMaxRatingMagnitude) {
    fail("MIN:MAX must lie within -{0}:{0} (larger ratings overflow training's sums), got '{1}'",
         kMaxRatingMagnitudeText, text);
  }
  out = {min, max};
}

std::string format_value(const RatingRange& range) {
  return fmt::format("{}:{}", range.min, range.max);
}

}  // namespace dmf::io
