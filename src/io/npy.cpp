#include "dmf/io/npy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "dmf/core/error.hpp"

namespace dmf::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "dmf writes float32 arrays as little-endian NPY files");

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr std::size_t kPrefixBytes = 10;  // magic, version, uint16 header length
constexpr std::size_t kAlignment = 64;    // numpy's ARRAY_ALIGN

std::string shape_literal(const NpyShape& shape) {
  if (shape.dims.size() == 1) return fmt::format("({},)", shape.dims[0]);
  return fmt::format("({})", fmt::join(shape.dims, ", "));
}

/// The value of 'key' in the header dict text, up to the next top-level ','.
std::string_view dict_value(std::string_view dict, std::string_view key) {
  // numpy writes repr() of a dict (single quotes); accept double quotes too.
  std::string quoted = fmt::format("'{}'", key);
  auto at = dict.find(quoted);
  if (at == std::string_view::npos) {
    quoted = fmt::format("\"{}\"", key);
    at = dict.find(quoted);
  }
  if (at == std::string_view::npos) return {};
  at = dict.find(':', at + quoted.size());
  if (at == std::string_view::npos) return {};
  ++at;
  while (at < dict.size() && dict[at] == ' ') ++at;
  std::size_t end = at;
  int depth = 0;
  while (end < dict.size() && !(depth == 0 && (dict[end] == ',' || dict[end] == '}'))) {
    if (dict[end] == '(') ++depth;
    if (dict[end] == ')') --depth;
    ++end;
  }
  return dict.substr(at, end - at);
}

NpyShape parse_shape(const std::string& path, std::string_view text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    fail("{}: NPY shape {} is not a tuple", path, text);
  }
  NpyShape shape;
  std::string_view rest = text.substr(1, text.size() - 2);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) break;
    std::uint64_t dim = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), dim);
    if (ec != std::errc()) fail("{}: NPY shape {} is not a tuple of sizes", path, text);
    shape.dims.push_back(dim);
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  }
  return shape;
}

}  // namespace

std::uint64_t NpyShape::elements() const noexcept {
  std::uint64_t n = 1;
  for (const auto d : dims) n *= d;
  return n;
}

std::string_view npy_descr(NpyType type) noexcept {
  switch (type) {
    case NpyType::kUInt32: return "<u4";
    case NpyType::kUInt64: return "<u8";
    case NpyType::kInt64: return "<i8";
    case NpyType::kFloat32: break;
  }
  return "<f4";
}

std::size_t npy_element_bytes(NpyType type) noexcept {
  return type == NpyType::kUInt64 || type == NpyType::kInt64 ? 8 : 4;
}

std::string npy_header(const NpyShape& shape, NpyType type) {
  const std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", npy_descr(type),
                  shape_literal(shape));
  // As numpy: pad so that prefix + dict + padding + '\n' is a multiple of 64,
  // with at least one space (a full 64 when already aligned).
  const std::size_t padding = kAlignment - (kPrefixBytes + dict.size() + 1) % kAlignment;
  const std::size_t header_length = dict.size() + padding + 1;
  DMF_CHECK(header_length <= 0xFFFF, "NPY header of {} bytes is too long", header_length);
  std::string out(kMagic);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header_length & 0xFFU));
  out.push_back(static_cast<char>(header_length >> 8U));
  out += dict;
  out.append(padding, ' ');
  out.push_back('\n');
  return out;
}

NpyHeader parse_npy_header(const std::string& path, std::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    fail("{} is not an NPY file (no \\x93NUMPY magic)", path);
  }
  if (bytes.size() < kPrefixBytes) fail("{}: truncated NPY header", path);
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t length_bytes = 2;
  if (major == 2 || major == 3) {
    length_bytes = 4;
  } else if (major != 1) {
    fail("{}: NPY format version {} is not supported", path, major);
  }
  std::uint64_t header_length = 0;
  for (std::size_t b = 0; b < length_bytes; ++b) {
    if (8 + b >= bytes.size()) fail("{}: truncated NPY header", path);
    header_length |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[8 + b])) << (8U * b);
  }
  const std::size_t begin = 8 + length_bytes;
  if (bytes.size() < begin + header_length) fail("{}: truncated NPY header", path);
  const std::string_view dict = bytes.substr(begin, header_length);
  std::string_view descr = dict_value(dict, "descr");
  const bool quoted = descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"') &&
                      descr.back() == descr.front();
  const std::string_view name = quoted ? descr.substr(1, descr.size() - 2) : std::string_view{};
  NpyType type = NpyType::kFloat32;
  bool known = false;
  for (const NpyType t : {NpyType::kFloat32, NpyType::kUInt32, NpyType::kUInt64, NpyType::kInt64}) {
    if (name == npy_descr(t)) {
      type = t;
      known = true;
    }
  }
  if (!known) {
    fail("{}: dtype {} is none of little-endian float32, uint32, uint64, int64 ('<f4', '<u4', "
         "'<u8', '<i8')",
         path, descr.empty() ? "(none)" : descr);
  }
  if (dict_value(dict, "fortran_order") != "False") {
    fail("{}: Fortran-order arrays are not supported", path);
  }
  const std::string_view shape = dict_value(dict, "shape");
  if (shape.empty()) fail("{}: NPY header has no shape", path);
  return NpyHeader{parse_shape(path, shape), type, begin + header_length};
}

NpyHeader read_npy_header(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open {}: {}", path, std::strerror(errno));
  std::string bytes(kPrefixBytes + 0xFFFF, '\0');
  const ssize_t got = ::pread(fd, bytes.data(), bytes.size(), 0);
  ::close(fd);
  if (got < 0) fail("cannot read {}: {}", path, std::strerror(errno));
  bytes.resize(static_cast<std::size_t>(got));
  return parse_npy_header(path, bytes);
}

}  // namespace dmf::io
