// read_lines over every way of cutting a file into byte ranges: the ranges'
// lines, concatenated, must be the file's lines, each exactly once, in order.
#include "dmf/io/range_reader.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"
#include "support/temp_dir.hpp"

namespace dmf::io {
namespace {

/// The oracle: `content` cut at each '\n'; a BOM at the start is no part of
/// the first line; a last line without '\n' counts, an empty tail does not.
std::vector<std::string> lines_of(std::string_view content) {
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < content.size()) {
    const std::size_t newline = content.find('\n', begin);
    const std::size_t end = newline == std::string_view::npos ? content.size() : newline;
    lines.emplace_back(content.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

/// Reads `ranges` one after another, checking each range's indices.
std::vector<std::string> read_ranges(const std::string& path, const std::vector<ByteRange>& ranges,
                                     std::size_t max_line = 1U << 20U) {
  std::vector<std::string> all;
  for (const ByteRange& range : ranges) {
    std::uint64_t expected_index = 0;
    const std::uint64_t count = read_lines(
        path, range,
        [&](std::string_view line, std::uint64_t index) {
          EXPECT_EQ(index, expected_index++)
              << "range [" << range.begin << ", " << range.end << ")";
          all.emplace_back(line);
        },
        max_line);
    EXPECT_EQ(count, expected_index);
  }
  return all;
}

std::vector<ByteRange> split_into(std::uint64_t begin, std::uint64_t end, int parts) {
  std::vector<ByteRange> ranges;
  for (int p = 0; p < parts; ++p) ranges.push_back(split_range(begin, end, p, parts));
  return ranges;
}

/// Lines of random length 0..max_length (empty lines included), some with
/// a '\r' before the '\n'.
std::string generate(std::uint64_t seed, int lines, int max_length, bool final_newline) {
  Rng rng(seed);
  std::string content;
  for (int i = 0; i < lines; ++i) {
    const auto length = rng.below(static_cast<std::uint64_t>(max_length) + 1);
    for (std::uint64_t j = 0; j < length; ++j) content += static_cast<char>('a' + rng.below(26));
    if (rng.below(5) == 0) content += '\r';
    content += '\n';
  }
  if (!final_newline) content += "last line without newline";
  return content;
}

class ReadLines : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST(SplitRange, NearlyEqualContiguousParts) {
  for (const std::uint64_t length : {0ULL, 1ULL, 6ULL, 7ULL, 100ULL, 1001ULL}) {
    for (int parts = 1; parts <= 9; ++parts) {
      std::uint64_t next = 10;
      for (int p = 0; p < parts; ++p) {
        const ByteRange r = split_range(10, 10 + length, p, parts);
        EXPECT_EQ(r.begin, next);
        const std::uint64_t size = r.end - r.begin;
        EXPECT_GE(size, length / static_cast<std::uint64_t>(parts));
        EXPECT_LE(size, length / static_cast<std::uint64_t>(parts) + 1);
        next = r.end;
      }
      EXPECT_EQ(next, 10 + length);
    }
  }
}

TEST(SplitRange, HugeRangesDoNotOverflow) {
  const std::uint64_t end = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(split_range(0, end, 6, 7).end, end);
  const ByteRange middle = split_range(0, end, 3, 7);
  EXPECT_GT(middle.begin, end / 7 * 3 - 1);
  EXPECT_LT(middle.begin, end / 7 * 3 + 7);
  EXPECT_THROW((void)split_range(0, 10, 3, 3), Error);
}

TEST_F(ReadLines, EverySplitIntoOneToSevenRanges) {
  for (const bool final_newline : {true, false}) {
    const std::string content = generate(7, 300, 40, final_newline);
    const std::string path = dir_.write("gen.txt", content);
    const auto expected = lines_of(content);
    for (int parts = 1; parts <= 7; ++parts) {
      EXPECT_EQ(read_ranges(path, split_into(0, content.size(), parts)), expected)
          << parts << " parts, final newline " << final_newline;
    }
  }
}

TEST_F(ReadLines, EveryCutPoint) {
  // Two ranges cut at every byte: inside lines, on each '\n', just after it,
  // at 0 and at the end. Also with a BOM, and without a final newline.
  for (const std::string& content :
       {std::string("ab\n\ncde\r\nf\n\n"), std::string("x\nyz"),
        std::string("\xEF\xBB\xBF"
                    "1,2\n3,4"),
        std::string("\n"), std::string("\xEF\xBB\xBF"), generate(3, 12, 5, true)}) {
    const std::string path = dir_.write("cut.txt", content);
    const auto expected = lines_of(content);
    for (std::uint64_t cut = 0; cut <= content.size(); ++cut) {
      EXPECT_EQ(read_ranges(path, {{0, cut}, {cut, content.size()}}), expected)
          << "cut at " << cut << " of " << testing::PrintToString(content);
    }
  }
}

TEST_F(ReadLines, TinyRangesOfEveryWidth) {
  // Ranges of w bytes, most of them smaller than a line and holding no line start.
  const std::string content = generate(11, 40, 12, false);
  const std::string path = dir_.write("tiny.txt", content);
  const auto expected = lines_of(content);
  for (std::uint64_t width = 1; width <= 25; ++width) {
    std::vector<ByteRange> ranges;
    for (std::uint64_t begin = 0; begin < content.size(); begin += width) {
      ranges.push_back({begin, std::min<std::uint64_t>(begin + width, content.size())});
    }
    EXPECT_EQ(read_ranges(path, ranges), expected) << "width " << width;
  }
}

TEST_F(ReadLines, RangesStartingAtDataBegin) {
  // The loader reads [data_begin, size): after a header, or after a BOM.
  const std::string header = "user,item\n";
  const std::string content = "\xEF\xBB\xBF" + header + "a,b\nc,d\ne,f";
  const std::string path = dir_.write("data.csv", content);
  for (int parts = 1; parts <= 7; ++parts) {
    EXPECT_EQ(read_ranges(path, split_into(3 + header.size(), content.size(), parts)),
              (std::vector<std::string>{"a,b", "c,d", "e,f"}));
    EXPECT_EQ(read_ranges(path, split_into(3, content.size(), parts)),
              (std::vector<std::string>{"user,item", "a,b", "c,d", "e,f"}));
  }
}

TEST_F(ReadLines, EmptyAndOutOfFileRanges) {
  const std::string path = dir_.write("e.txt", "abc\ndef\n");
  EXPECT_TRUE(read_ranges(path, {{0, 0}, {3, 3}, {8, 8}, {8, 100}, {50, 60}}).empty());
  EXPECT_EQ(read_ranges(path, {{0, 100}}), (std::vector<std::string>{"abc", "def"}));
  const std::string empty = dir_.write("empty.txt", "");
  EXPECT_TRUE(read_ranges(empty, {{0, 10}}).empty());
}

TEST_F(ReadLines, ManyBuffersWorthOfLines) {
  // More than one 4 MiB buffer per range, so lines straddle buffer refills.
  const std::string content = generate(5, 600000, 30, false);
  ASSERT_GT(content.size(), 9U << 20U);
  const std::string path = dir_.write("big.txt", content);
  const auto expected = lines_of(content);
  for (const int parts : {1, 2, 7}) {
    EXPECT_TRUE(read_ranges(path, split_into(0, content.size(), parts)) == expected)
        << parts << " parts";
  }
}

TEST_F(ReadLines, LongLineGrowsTheBuffer) {
  const std::string giant(5U << 20U, 'g');  // longer than one buffer
  const std::string content = "a\n" + giant + "\nb\n";
  const std::string path = dir_.write("giant.txt", content);
  for (const int parts : {1, 2, 3}) {
    const auto lines = read_ranges(path, split_into(0, content.size(), parts), 6U << 20U);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0], "a");
    EXPECT_TRUE(lines[1] == giant);
    EXPECT_EQ(lines[2], "b");
  }
}

std::string read_error(const std::string& path, ByteRange range, std::size_t max_line) {
  try {
    read_lines(
        path, range, [](std::string_view, std::uint64_t) {}, max_line);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST_F(ReadLines, LineLongerThanLimitNamesFileAndOffset) {
  const std::string content = "short\n" + std::string(50, 'x') + "\nok\n";
  const std::string path = dir_.write("bin.dat", content);
  const std::string message = read_error(path, {0, content.size()}, 20);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("byte 6 "), std::string::npos) << message;
  EXPECT_NE(message.find("longer than 20 bytes"), std::string::npos) << message;
  EXPECT_EQ(read_error(path, {0, content.size()}, 50), "<no error>");  // exactly the limit
  // A last line without '\n' is checked too.
  const std::string tail = dir_.write("tail.dat", "ok\n" + std::string(30, 'y'));
  EXPECT_NE(read_error(tail, {0, 100}, 20).find("byte 3 "), std::string::npos);
  // So is a line that does not fit in one buffer.
  const std::string huge = dir_.write("huge.dat", std::string(9U << 20U, 'z'));
  EXPECT_NE(read_error(huge, {0, 10}, 1U << 20U).find("byte 0 "), std::string::npos);
}

TEST_F(ReadLines, MissingFileAndDirectory) {
  EXPECT_NE(read_error(dir_.file("gone.txt"), {0, 10}, 100).find("no such file"),
            std::string::npos);
  EXPECT_NE(read_error(dir_.path().string(), {0, 10}, 100).find("is a directory"),
            std::string::npos);
}

}  // namespace
}  // namespace dmf::io
