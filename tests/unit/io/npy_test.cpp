// NPY headers against the format 1.0 specification (numpy.lib.format),
// spelled out byte by byte here rather than produced by the code under test.
#include "dmf/io/npy.hpp"

#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "dmf/core/error.hpp"

namespace dmf::io {
namespace {

/// The spec: magic \x93NUMPY, version 1.0, little-endian uint16 header
/// length, the dict literal, spaces, '\n'; 10 + length a multiple of 64, with
/// at least one space of padding (numpy pads a full 64 when it would be 0).
std::string spec_header(const std::string& shape_literal) {
  const std::string dict =
      fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shape_literal);
  const std::size_t padding = 64 - (10 + dict.size() + 1) % 64;
  const std::size_t length = dict.size() + padding + 1;
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(length % 256);
  out += static_cast<char>(length / 256);
  out += dict;
  out += std::string(padding, ' ');
  out += '\n';
  return out;
}

TEST(Npy, HeaderIsTheSpecsByteForByte) {
  EXPECT_EQ(npy_header({{3, 4}}), spec_header("(3, 4)"));
  EXPECT_EQ(npy_header({{0, 8}}), spec_header("(0, 8)"));
  EXPECT_EQ(npy_header({{70000, 64}}), spec_header("(70000, 64)"));
  EXPECT_EQ(npy_header({{5}}), spec_header("(5,)"));
  EXPECT_EQ(npy_header({{0}}), spec_header("(0,)"));
  for (const std::uint64_t rows : {1ULL, 9ULL, 12345678901ULL}) {
    const std::string h = npy_header({{rows, 3}});
    EXPECT_EQ(h.size() % 64, 0U) << rows;
    EXPECT_EQ(h.back(), '\n');
    EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  }
}

TEST(Npy, PaddingIsOneToSixtyFourSpacesForAnyRowCount) {
  // (A dict that would end exactly aligned, where numpy pads a full 64,
  // needs about 60 digits of shape: no uint64 shape reaches it.)
  for (std::uint64_t rows = 1; rows < 100000000000ULL; rows *= 7) {
    const std::string h = npy_header({{rows, 1}});
    const std::size_t close = h.find('}');
    const std::size_t spaces = h.size() - 1 - (close + 1);
    EXPECT_GE(spaces, 1U);
    EXPECT_LE(spaces, 64U);
    EXPECT_EQ(h, spec_header(fmt::format("({}, 1)", rows)));
  }
}

TEST(Npy, ParsesWhatItWritesAndWhatNumpyMayWrite) {
  const NpyHeader h = parse_npy_header("a.npy", npy_header({{70000, 64}}));
  EXPECT_EQ(h.shape.dims, (std::vector<std::uint64_t>{70000, 64}));
  EXPECT_EQ(h.data_offset, npy_header({{70000, 64}}).size());
  // Keys in another order, double quotes, no trailing comma, version 2.0.
  const std::string dict = "{\"shape\": (7,), \"fortran_order\": False, \"descr\": \"<f4\"}\n";
  std::string v2 = "\x93NUMPY";
  v2 += '\x02';
  v2 += '\x00';
  v2 += static_cast<char>(dict.size());
  v2 += std::string(3, '\0');
  v2 += dict;
  const NpyHeader h2 = parse_npy_header("b.npy", v2);
  EXPECT_EQ(h2.shape.dims, (std::vector<std::uint64_t>{7}));
  EXPECT_EQ(h2.data_offset, v2.size());
}

TEST(Npy, WritesAndParsesUint32Arrays) {
  const std::string h = npy_header({{5}}, NpyType::kUInt32);
  EXPECT_NE(h.find("{'descr': '<u4', 'fortran_order': False, 'shape': (5,), }"), std::string::npos);
  EXPECT_EQ(h.size() % 64, 0U);
  const NpyHeader parsed = parse_npy_header("s.npy", h);
  EXPECT_EQ(parsed.type, NpyType::kUInt32);
  EXPECT_EQ(parse_npy_header("f.npy", npy_header({{5}})).type, NpyType::kFloat32);
}

void expect_refused(const std::string& bytes, const std::string& what) {
  try {
    static_cast<void>(parse_npy_header("bad.npy", bytes));
    ADD_FAILURE() << "accepted: " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
  }
}

// A data set directory's counts and times (data/dataset_dir.hpp).
TEST(Npy, WritesAndParsesSixtyFourBitArrays) {
  for (const auto& [type, descr] :
       {std::pair{NpyType::kUInt64, "'<u8'"}, std::pair{NpyType::kInt64, "'<i8'"}}) {
    const std::string h = npy_header({{7}}, type);
    EXPECT_NE(h.find(descr), std::string::npos) << h;
    EXPECT_EQ(h.size() % 64, 0U);
    EXPECT_EQ(parse_npy_header("c.npy", h).type, type);
    EXPECT_EQ(npy_element_bytes(type), 8U);
  }
  EXPECT_EQ(npy_element_bytes(NpyType::kUInt32), 4U);
}

TEST(Npy, RefusesWhatItCannotRead) {
  const std::string good = npy_header({{2, 2}});
  expect_refused("", "empty");
  expect_refused("\x93NUMPZ\x01\x00", "bad magic");
  expect_refused(good.substr(0, 30), "truncated");
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  expect_refused(replaced("'<f4'", "'<f8'"), "float64");
  expect_refused(replaced("'<f4'", "'>f4'"), "big-endian");
  expect_refused(replaced("'<f4'", "'<i4'"), "int32");
  expect_refused(replaced("'<f4'", "<f4  "), "unquoted");
  expect_refused(replaced("False", "True "), "Fortran order");
  expect_refused(replaced("'shape'", "'shope'"), "no shape");
  std::string v4 = good;
  v4[6] = '\x04';
  expect_refused(v4, "version 4");
}

}  // namespace
}  // namespace dmf::io
