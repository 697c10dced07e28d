// Process memory figures for logs and benchmarks.
#pragma once

#include <cstdint>

namespace dmf {

/// Peak resident set size of this process in bytes (VmHWM), 0 if unknown.
[[nodiscard]] std::uint64_t peak_rss_bytes();

}  // namespace dmf
