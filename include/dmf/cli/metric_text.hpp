// How commands print a metric that may be undefined: RMSE and MAE of no
// ratings are neither 0 nor a number (README "Held-out sets"), so they read
// "n/a" in text and null in JSON, and dmf gather ranks them last.
#pragma once

#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace dmf::cli {

/// The value, or null.
[[nodiscard]] inline nlohmann::json metric_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

/// The value with 5 decimals, or "n/a"; right-aligned in `width`.
[[nodiscard]] inline std::string metric_text(const std::optional<double>& value, int width = 0) {
  return value ? fmt::format("{:>{}.5f}", *value, width) : fmt::format("{:>{}}", "n/a", width);
}

}  // namespace dmf::cli
