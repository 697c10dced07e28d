// Reading a block of rows of an .npy array (npy.hpp) with pread: how every
// rank loads its own rows of a model directory or checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dmf/io/npy.hpp"

namespace dmf::io {

/// Rows [first, first + count) of the array at `path`, which must be of
/// `type` with shape (total_rows, width), or (total_rows,) when width is 0.
/// Errors (another shape or type, a truncated file) name the file.
[[nodiscard]] std::vector<float> read_float_rows(const std::string& path, std::uint64_t total_rows,
                                                 std::uint64_t width, std::uint64_t first,
                                                 std::uint64_t count);
[[nodiscard]] std::vector<std::uint32_t> read_uint32_rows(const std::string& path,
                                                          std::uint64_t total_rows,
                                                          std::uint64_t width, std::uint64_t first,
                                                          std::uint64_t count);

}  // namespace dmf::io
