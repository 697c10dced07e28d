// The NPY format, version 1.0 (numpy.lib.format), for little-endian float32
// and uint32 arrays in C order: what dmf writes for factors, biases and
// optimizer state (float32) and per-row step counts (uint32), so that
// numpy.load reads them as they are.
//
// A file is the magic "\x93NUMPY", the version bytes 1 and 0, the header
// length as a little-endian uint16, and the header: a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (ROWS, COLS), }
// ('<u4' for uint32)
// padded with spaces and ended by '\n' so that the data starts at a multiple
// of 64 bytes — byte for byte what numpy.save writes. The data follows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dmf::io {

/// The element types dmf reads and writes (the 64-bit ones for data set
/// directories: per-row counts and timestamps).
enum class NpyType { kFloat32, kUInt32, kUInt64, kInt64 };

/// The 'descr' of a type: '<f4', '<u4', '<u8' or '<i8'.
[[nodiscard]] std::string_view npy_descr(NpyType type) noexcept;

/// Bytes per element of a type.
[[nodiscard]] std::size_t npy_element_bytes(NpyType type) noexcept;

/// The shape of an array: one dimension (a vector) or two (a matrix).
struct NpyShape {
  std::vector<std::uint64_t> dims;

  [[nodiscard]] std::uint64_t elements() const noexcept;
};

/// The complete header (magic to '\n') of a C-order array.
[[nodiscard]] std::string npy_header(const NpyShape& shape, NpyType type = NpyType::kFloat32);

/// What a header says: the shape and where the data starts.
struct NpyHeader {
  NpyShape shape;
  NpyType type = NpyType::kFloat32;
  std::uint64_t data_offset = 0;
};

/// Parses the header at the start of `bytes` (at least the first 10 bytes
/// plus the header length). Anything but version 1.0 (or 2.0/3.0 layouts),
/// a little-endian NpyType and C order is refused; errors name `path`.
[[nodiscard]] NpyHeader parse_npy_header(const std::string& path, std::string_view bytes);

/// Reads and parses the header of the file at `path`.
[[nodiscard]] NpyHeader read_npy_header(const std::string& path);

}  // namespace dmf::io
