// detect_format on files it must refuse: each gives one sentence that names
// the file and says what is wrong.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "dmf/core/error.hpp"
#include "dmf/io/format.hpp"
#include "dmf/io/range_reader.hpp"
#include "support/temp_dir.hpp"

namespace dmf::io {
namespace {

std::string detect_error(const std::string& path, const FormatOptions& options = {}) {
  try {
    (void)detect_format(path, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Checks that `message` names `path` and contains `phrase`.
#define EXPECT_MESSAGE(message, path, phrase)                                \
  do {                                                                       \
    const std::string m = (message);                                         \
    EXPECT_NE(m.find(path), std::string::npos) << m;                         \
    EXPECT_NE(m.find(phrase), std::string::npos) << m;                       \
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line, please: " << m; \
  } while (false)

class DetectFormatErrors : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(DetectFormatErrors, MissingFile) {
  const std::string path = dir_.file("nope.csv");
  EXPECT_MESSAGE(detect_error(path), path, "no such file");
  EXPECT_THROW((void)file_size(path), Error);
}

TEST_F(DetectFormatErrors, Directory) {
  const std::string path = dir_.path().string();
  EXPECT_MESSAGE(detect_error(path), path, "is a directory");
  try {
    (void)file_size(path);
    ADD_FAILURE() << "file_size accepted a directory";
  } catch (const Error& e) {
    EXPECT_MESSAGE(std::string(e.what()), path, "is a directory");
  }
}

TEST_F(DetectFormatErrors, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const std::string path = dir_.write("secret.csv", "1,2,3\n");
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  EXPECT_MESSAGE(detect_error(path), path, "cannot read");
}

TEST_F(DetectFormatErrors, EmptyFile) {
  const std::string path = dir_.write("empty.csv", "");
  EXPECT_MESSAGE(detect_error(path), path, "contains no ratings");
}

TEST_F(DetectFormatErrors, OnlyBlankLines) {
  const std::string path = dir_.write("blank.csv", "\n  \r\n\t\n");
  EXPECT_MESSAGE(detect_error(path), path, "contains no ratings: only blank lines");
}

TEST_F(DetectFormatErrors, OnlyByteOrderMark) {
  const std::string path = dir_.write("bom.csv", "\xEF\xBB\xBF");
  EXPECT_MESSAGE(detect_error(path), path, "contains no ratings");
}

TEST_F(DetectFormatErrors, HeaderOnly) {
  const std::string path = dir_.write("header.csv", "user,item,rating\n\n");
  EXPECT_MESSAGE(detect_error(path), path, "contains no ratings: only a header line");
  FormatOptions yes;
  yes.header = HeaderMode::kYes;
  const std::string numeric = dir_.write("one.csv", "1,2,3\n");
  EXPECT_MESSAGE(detect_error(numeric, yes), numeric, "only a header line");
}

TEST_F(DetectFormatErrors, MatrixMarketPreambleOnly) {
  const std::string path =
      dir_.write("m.mtx", "%%MatrixMarket matrix coordinate real general\n% c\n3 3 2\n% c\n");
  EXPECT_MESSAGE(detect_error(path), path, "contains no ratings: only a MatrixMarket preamble");
  const std::string banner = dir_.write("b.mtx", "%%MatrixMarket matrix coordinate real general\n");
  EXPECT_MESSAGE(detect_error(banner), banner, "only a MatrixMarket banner");
  const std::string zero =
      dir_.write("z.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 0\n");
  EXPECT_MESSAGE(detect_error(zero), zero, "0 entries");
}

TEST_F(DetectFormatErrors, MatrixMarketUnsupportedKinds) {
  const auto check = [&](std::string_view banner, std::string_view phrase) {
    const std::string path = dir_.write("k.mtx", std::string(banner) + "\n2 2 1\n1 1 1\n");
    EXPECT_MESSAGE(detect_error(path), path, phrase);
  };
  check("%%MatrixMarket matrix array real general", "only 'matrix coordinate'");
  check("%%MatrixMarket matrix coordinate complex general", "field 'complex'");
  check("%%MatrixMarket matrix coordinate real symmetric", "symmetry 'symmetric'");
  check("1 1 1", "expected a MatrixMarket banner");
}

TEST_F(DetectFormatErrors, MatrixMarketBadSizeLine) {
  const std::string path =
      dir_.write("s.mtx", "%%MatrixMarket matrix coordinate real general\n3 x 2\n1 1 1\n");
  EXPECT_MESSAGE(detect_error(path), path + ":2", "size line");
  const std::string two =
      dir_.write("t.mtx", "%%MatrixMarket matrix coordinate real general\n3 2\n1 1 1\n");
  EXPECT_MESSAGE(detect_error(two), two + ":2", "size line");
}

TEST_F(DetectFormatErrors, MatrixMarketRefusesHeaderAndSeparator) {
  const std::string path =
      dir_.write("o.mtx", "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1\n");
  FormatOptions header;
  header.header = HeaderMode::kYes;
  EXPECT_MESSAGE(detect_error(path, header), path, "no header line");
  FormatOptions sep;
  sep.separator = ",";
  EXPECT_MESSAGE(detect_error(path, sep), path, "drop --sep");
}

TEST_F(DetectFormatErrors, CannotTellFormat) {
  const std::string path = dir_.write("ids.txt", "justonetoken\n");
  EXPECT_MESSAGE(detect_error(path), path, "--format");
}

TEST_F(DetectFormatErrors, FieldCountNeedsColumns) {
  const std::string path = dir_.write("wide.csv", "a,b,c,d,e\n");
  EXPECT_MESSAGE(detect_error(path), path + ":1", "--columns");
  const std::string one = dir_.write("one.csv", "abc\n");
  EXPECT_MESSAGE(detect_error(one), one + ":1", "found 1 field separated by ','");
}

TEST_F(DetectFormatErrors, BadColumnsOption) {
  const std::string path = dir_.write("c.csv", "1,2,3\n");
  FormatOptions options;
  options.columns = "user,rating";
  EXPECT_NE(detect_error(path, options).find("no 'item' column"), std::string::npos);
}

TEST_F(DetectFormatErrors, HeadLongerThanDetectionWindow) {
  const std::string long_header(kFormatHeadBytes + 10, 'h');
  const std::string path = dir_.write("long.csv", long_header + "\n1,2,3\n");
  EXPECT_MESSAGE(detect_error(path), path, "64 KiB");
  const std::string blank(kFormatHeadBytes + 10, '\n');
  const std::string blanks = dir_.write("blanks.csv", blank + "1,2,3\n");
  EXPECT_MESSAGE(detect_error(blanks), blanks, "64 KiB");
  std::string comments = "%%MatrixMarket matrix coordinate real general\n";
  while (comments.size() <= kFormatHeadBytes) comments += "% a long comment block\n";
  const std::string mm = dir_.write("c.mtx", comments + "1 1 1\n1 1 1\n");
  EXPECT_MESSAGE(detect_error(mm), mm, "64 KiB");
}

TEST_F(DetectFormatErrors, DataJustInsideTheWindowIsFine) {
  // A header that ends a few bytes before the window does: detection must
  // see the whole first data line or refuse, never guess from half of it.
  std::string header = "user,item,rating,";
  header += std::string(kFormatHeadBytes - header.size() - 12, 'x') + "\n";
  const std::string path = dir_.write("edge.csv", header + "1,2,3,4\n" + std::string(100000, '\n'));
  FormatOptions options;
  options.header = HeaderMode::kYes;
  const Format f = detect_format(path, options);
  EXPECT_EQ(f.data_begin, header.size());
  EXPECT_EQ(f.columns.size(), 4U);
  const std::string cut =
      dir_.write("cut.csv", header + "1,2,3,4444444444\n" + std::string(100000, '\n'));
  EXPECT_MESSAGE(detect_error(cut, options), cut, "64 KiB");
}

}  // namespace
}  // namespace dmf::io
