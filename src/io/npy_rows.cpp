#include "dmf/io/npy_rows.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "dmf/core/error.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::io {
namespace {

template <class T>
std::vector<T> read_rows(const std::string& path, NpyType type, std::uint64_t total_rows,
                         std::uint64_t width, std::uint64_t first, std::uint64_t count) {
  const NpyShape expected = width == 0 ? NpyShape{{total_rows}} : NpyShape{{total_rows, width}};
  const NpyHeader header = read_npy_header(path);
  DMF_CHECK(header.shape.dims == expected.dims, "{}: shape ({}) where ({}) was expected", path,
            fmt::join(header.shape.dims, ", "), fmt::join(expected.dims, ", "));
  DMF_CHECK(header.type == type, "{}: dtype '{}' where '{}' was expected", path,
            npy_descr(header.type), npy_descr(type));
  DMF_CHECK(first + count <= total_rows, "{}: rows [{}, {}) are past its {} rows", path, first,
            first + count, total_rows);
  const std::uint64_t columns = width == 0 ? 1 : width;
  const std::uint64_t need = header.data_offset + expected.elements() * sizeof(T);
  DMF_CHECK(file_size(path) >= need, "{} is truncated: {} bytes, {} expected", path,
            file_size(path), need);
  std::vector<T> values(count * columns);
  const int fd = ::open(path.c_str(), O_RDONLY);
  DMF_CHECK(fd >= 0, "cannot open {}: {}", path, std::strerror(errno));
  auto* out = reinterpret_cast<char*>(values.data());
  std::uint64_t done = 0;
  const std::uint64_t bytes = values.size() * sizeof(T);
  const std::uint64_t offset = header.data_offset + first * columns * sizeof(T);
  while (done < bytes) {
    const ssize_t got = ::pread(fd, out + done, bytes - done, static_cast<off_t>(offset + done));
    if (got <= 0) {
      ::close(fd);
      fail("cannot read {}: {}", path, got < 0 ? std::strerror(errno) : "unexpected end");
    }
    done += static_cast<std::uint64_t>(got);
  }
  ::close(fd);
  return values;
}

}  // namespace

std::vector<float> read_float_rows(const std::string& path, std::uint64_t total_rows,
                                   std::uint64_t width, std::uint64_t first, std::uint64_t count) {
  return read_rows<float>(path, NpyType::kFloat32, total_rows, width, first, count);
}

std::vector<std::uint32_t> read_uint32_rows(const std::string& path, std::uint64_t total_rows,
                                            std::uint64_t width, std::uint64_t first,
                                            std::uint64_t count) {
  return read_rows<std::uint32_t>(path, NpyType::kUInt32, total_rows, width, first, count);
}

}  // namespace dmf::io
