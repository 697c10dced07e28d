// Process memory figures for logs, benchmarks and the checks that refuse a
// run too large for the machine before it allocates.
#pragma once

#include <cstdint>
#include <string>

namespace dmf {

/// Peak resident set size of this process in bytes (VmHWM), 0 if unknown.
[[nodiscard]] std::uint64_t peak_rss_bytes();

/// The physical memory this process may use in bytes: the machine's RAM, or
/// the memory limit of its cgroup (a Slurm job's --mem) when that is lower.
/// 0 if unknown.
[[nodiscard]] std::uint64_t usable_memory_bytes();

/// `bytes` for people: "512 B", "3.2 MB", "1.5 TB" (powers of 1000).
[[nodiscard]] std::string human_bytes(double bytes);

}  // namespace dmf
