// detect_format: each format by name and by content, the variations real
// files come with (header, CRLF, BOM, blank lines, quotes), and explicit
// options overriding detection. Every case is checked end to end: the
// detected Format must also read the file's ratings back exactly.
#include "dmf/io/format.hpp"

#include <gtest/gtest.h>

#include "column_lists.hpp"

#include <string>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/io/line_parser.hpp"
#include "dmf/io/range_reader.hpp"
#include "support/temp_dir.hpp"

namespace dmf::io {
namespace {

struct Rating {
  std::string user;
  std::string item;
  float rating = 0.0F;
  std::int64_t time = 0;
  bool operator==(const Rating&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Rating& r) {
  return out << "(" << r.user << ", " << r.item << ", " << r.rating << ", " << r.time << ")";
}

/// Every rating of the file as `format` reads it from data_begin on; a bad
/// line fails the test.
std::vector<Rating> read_all(const std::string& path, const Format& format) {
  const LineParser parser(format);
  std::vector<Rating> ratings;
  read_lines(path, {format.data_begin, file_size(path)}, [&](std::string_view line, std::uint64_t) {
    ParsedLine parsed;
    std::optional<LineError> error;
    if (parser.parse(line, parsed, error)) {
      ratings.push_back(
          {std::string(parsed.user), std::string(parsed.item), parsed.rating, parsed.time});
    }
    EXPECT_FALSE(error) << *error << ": " << line;
  });
  return ratings;
}

using fixtures::kUir;
using fixtures::kUirt;

class DetectFormat : public ::testing::Test {
 protected:
  std::string write(std::string_view name, std::string_view content) {
    return dir_.write(name, content);
  }
  test::TempDir dir_;
};

TEST_F(DetectFormat, MovieLensByName) {
  const auto path = write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kMovieLens);
  EXPECT_EQ(f.separator, "::");
  EXPECT_EQ(f.columns, kUirt);
  EXPECT_TRUE(f.has_time);
  EXPECT_FALSE(f.has_header);
  EXPECT_EQ(f.data_begin, 0U);
  EXPECT_EQ(f.data_begin_line, 1U);
  EXPECT_EQ(f.preamble, "");
  EXPECT_EQ(read_all(path, f),
            (std::vector<Rating>{{"1", "1193", 5, 978300760}, {"1", "661", 3, 978302109}}));
}

TEST_F(DetectFormat, MovieLensByContent) {
  const auto path = write("ml.txt", "7::tt0104257::4.5::1\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kMovieLens);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"7", "tt0104257", 4.5F, 1}}));
}

TEST_F(DetectFormat, UDataByName) {
  const auto path = write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kUData);
  EXPECT_EQ(f.separator, "\t");
  EXPECT_EQ(f.columns, kUirt);
  EXPECT_EQ(read_all(path, f).at(1), (Rating{"186", "302", 3, 891717742}));
}

TEST_F(DetectFormat, CsvByNameWithHeader) {
  const std::string header = "userId,movieId,rating,timestamp\n";
  const auto path = write("data.csv", header + "1,31,2.5,1260759144\n1,1029,3.0,1260759179\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kCsv);
  EXPECT_EQ(f.separator, ",");
  EXPECT_EQ(f.columns, kUirt);
  EXPECT_TRUE(f.has_header);
  EXPECT_EQ(f.data_begin, header.size());
  EXPECT_EQ(f.data_begin_line, 2U);
  EXPECT_EQ(f.preamble, header);
  EXPECT_EQ(read_all(path, f),
            (std::vector<Rating>{{"1", "31", 2.5F, 1260759144}, {"1", "1029", 3, 1260759179}}));
}

TEST_F(DetectFormat, CsvByContentWithoutHeader) {
  const auto path = write("clicks.txt", "u1,i1,5\nu2,i1,4\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kCsv);
  EXPECT_EQ(f.columns, kUir);
  EXPECT_FALSE(f.has_header);
  EXPECT_EQ(read_all(path, f).size(), 2U);
}

TEST_F(DetectFormat, NameBeatsContent) {
  // A TAB inside a quoted CSV field would make the content look like TSV.
  const auto path = write("songs.csv", "\"Tom\tJones\",song,3\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kCsv);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"Tom\tJones", "song", 3, 0}}));
}

TEST_F(DetectFormat, DataLineDecidesFieldCountAfterHeader) {
  // A header that names fewer fields than the data has: the data wins.
  const auto path = write("short_header.csv", "user,item,rating\n1,2,3,99\n");
  const Format f = detect_format(path, {});
  EXPECT_TRUE(f.has_header);
  EXPECT_EQ(f.columns, kUirt);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "2", 3, 99}}));
}

TEST_F(DetectFormat, TsvByNameAndByContent) {
  for (const std::string_view name : {"a.tsv", "b.tab", "c.txt"}) {
    const auto path = write(name, "user\titem\trating\nu\ti\t2\n");
    const Format f = detect_format(path, {});
    EXPECT_EQ(f.kind, FormatKind::kTsv) << name;
    EXPECT_EQ(f.separator, "\t") << name;
    EXPECT_TRUE(f.has_header) << name;
    EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"u", "i", 2, 0}})) << name;
  }
}

TEST_F(DetectFormat, LibmfByContent) {
  const auto path = write("train.txt", "0 0 4\n0  1\t3.5\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kLibmf);
  EXPECT_EQ(f.separator, " ");
  EXPECT_FALSE(f.has_header);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"0", "0", 4, 0}, {"0", "1", 3.5F, 0}}));
}

TEST_F(DetectFormat, TwoFieldsMeanRatingOne) {
  const auto path = write("clicks.csv", "alice,book\nbob,pen\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.columns, (std::vector<Column>{Column::kUser, Column::kItem}));
  EXPECT_FALSE(f.has_rating);
  EXPECT_EQ(read_all(path, f).at(1), (Rating{"bob", "pen", 1, 0}));
}

TEST_F(DetectFormat, CrlfLineEnds) {
  const std::string header = "user,item,rating\r\n";
  const auto path = write("w.csv", header + "1,2,3\r\n4,5,1\r\n");
  const Format f = detect_format(path, {});
  EXPECT_TRUE(f.has_header);
  EXPECT_EQ(f.data_begin, header.size());
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "2", 3, 0}, {"4", "5", 1, 0}}));
}

TEST_F(DetectFormat, ByteOrderMarkWithHeader) {
  const std::string header = "user,item,rating\n";
  const auto path = write("bom.csv", "\xEF\xBB\xBF" + header + "1,2,3\n");
  const Format f = detect_format(path, {});
  EXPECT_TRUE(f.has_header);
  EXPECT_EQ(f.data_begin, 3 + header.size());
  EXPECT_EQ(f.preamble, header);  // without the BOM
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "2", 3, 0}}));
}

TEST_F(DetectFormat, ByteOrderMarkWithoutHeader) {
  const auto path = write("bom.csv",
                          "\xEF\xBB\xBF"
                          "0042,7,3\n1,2,3\n");
  const Format f = detect_format(path, {});
  EXPECT_FALSE(f.has_header);
  EXPECT_EQ(f.data_begin, 3U);
  EXPECT_EQ(f.data_begin_line, 1U);
  EXPECT_EQ(f.preamble, "");
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"0042", "7", 3, 0}, {"1", "2", 3, 0}}));
}

TEST_F(DetectFormat, BlankLinesAndTrailingSpaces) {
  const std::string head = "\n  \nuser, item, rating  \n";
  const auto path = write("b.csv", head + "\n1, 2, 3  \n\n  \n4 ,5 ,1\t\n\n");
  const Format f = detect_format(path, {});
  EXPECT_TRUE(f.has_header);
  EXPECT_EQ(f.data_begin, head.size());
  EXPECT_EQ(f.data_begin_line, 4U);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "2", 3, 0}, {"4", "5", 1, 0}}));
}

TEST_F(DetectFormat, QuotedFieldsAndStringIdsWithLeadingZeros) {
  const auto path = write("q.csv",
                          "\"user\",\"item\",\"rating\"\n"
                          "\"0104257\",\"tt0104257\",\"4\"\n"
                          "104257,0104257,3\n");
  const Format f = detect_format(path, {});
  EXPECT_TRUE(f.has_header);
  EXPECT_EQ(read_all(path, f),
            (std::vector<Rating>{{"0104257", "tt0104257", 4, 0}, {"104257", "0104257", 3, 0}}));
}

TEST_F(DetectFormat, MatrixMarketRealWithComments) {
  const std::string banner =
      "%%MatrixMarket matrix coordinate real general\n% written by a test\n%\n";
  const std::string size_line = "3 4 2\n";
  const auto path = write("m.mtx", banner + size_line + "1 1 4.5\n% inside\n03 4 -1\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kMatrixMarket);
  EXPECT_EQ(f.separator, " ");
  EXPECT_EQ(f.columns, kUir);
  EXPECT_EQ(f.mm_rows, 3U);
  EXPECT_EQ(f.mm_cols, 4U);
  EXPECT_EQ(f.mm_entries, 2U);
  EXPECT_EQ(f.mm_banner, banner);
  EXPECT_EQ(f.preamble, banner + size_line);
  EXPECT_EQ(f.data_begin, (banner + size_line).size());
  EXPECT_EQ(f.data_begin_line, 5U);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "1", 4.5F, 0}, {"03", "4", -1, 0}}));
}

TEST_F(DetectFormat, MatrixMarketIntegerByBanner) {
  const auto path =
      write("data.txt", "%%matrixmarket MATRIX Coordinate integer general\n2 2 1\n2 1 5\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.kind, FormatKind::kMatrixMarket);
  EXPECT_TRUE(f.integer_ratings);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"2", "1", 5, 0}}));
}

TEST_F(DetectFormat, MatrixMarketPatternMeansRatingOne) {
  const auto path =
      write("p.mm", "%%MatrixMarket matrix coordinate pattern general\n\n5 5 2\n1 2\n3 4\n");
  const Format f = detect_format(path, {});
  EXPECT_FALSE(f.has_rating);
  EXPECT_EQ(f.columns, (std::vector<Column>{Column::kUser, Column::kItem}));
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "2", 1, 0}, {"3", "4", 1, 0}}));
}

TEST_F(DetectFormat, MatrixMarketWithByteOrderMark) {
  const auto path =
      write("b.mtx", "\xEF\xBB\xBF%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 2\n");
  const Format f = detect_format(path, {});
  EXPECT_EQ(f.mm_banner, "%%MatrixMarket matrix coordinate real general\n");
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "1", 2, 0}}));
}

TEST_F(DetectFormat, ColumnsSkippedAndReordered) {
  const auto path = write("x.csv", "movie,junk,person,stars,when\ni1,zz,u1,4,17\n");
  FormatOptions options;
  options.columns = "item, -, user, rating, time";
  const Format f = detect_format(path, options);
  EXPECT_TRUE(f.has_header);  // "stars" is no number
  EXPECT_EQ(f.columns, (std::vector<Column>{Column::kItem, Column::kSkip, Column::kUser,
                                            Column::kRating, Column::kTime}));
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"u1", "i1", 4, 17}}));
}

TEST_F(DetectFormat, HeaderToldByTimeWithoutRating) {
  const auto path = write("t.csv", "u,i,ts\na,b,5\n");
  FormatOptions options;
  options.columns = "user,item,time";
  const Format f = detect_format(path, options);
  EXPECT_TRUE(f.has_header);
  EXPECT_FALSE(f.has_rating);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"a", "b", 1, 5}}));
}

TEST_F(DetectFormat, HeaderWithoutRatingOrTimeColumn) {
  // Named IDs above numeric ones: --columns user,item, or two fields.
  const auto named = write("n.csv", "user,item\n1,10\n2,20\n");
  FormatOptions options;
  options.columns = "user,item";
  for (const FormatOptions& o : {options, FormatOptions{}}) {
    const Format f = detect_format(named, o);
    EXPECT_TRUE(f.has_header);
    EXPECT_EQ(f.data_begin_line, 2U);
    EXPECT_EQ(read_all(named, f), (std::vector<Rating>{{"1", "10", 1, 0}, {"2", "20", 1, 0}}));
  }
  const auto tsv = write("n.tsv", "userId\tmovieId\n7\t8\n");
  EXPECT_TRUE(detect_format(tsv, {}).has_header);
  // The column names themselves, above string IDs.
  const auto words = write("w.csv", "User,Item\nalice,book\n");
  EXPECT_TRUE(detect_format(words, {}).has_header);
  // String IDs all along, or numbers on the first line: no header.
  const auto strings = write("s.csv", "alice,book\nbob,pen\n");
  EXPECT_FALSE(detect_format(strings, {}).has_header);
  const auto numbers = write("d.csv", "1,10\n2,20\n");
  EXPECT_FALSE(detect_format(numbers, {}).has_header);
  // The names alone: a header over no data, not a user called "user".
  const auto one_line = write("o.csv", "user,item\n");
  EXPECT_THROW((void)detect_format(one_line, {}), Error);
  // Skipped fields do not count: item,-,user with a text middle field.
  const auto skipped = write("k.csv", "item,note,user\n5,x,6\n");
  FormatOptions skip_middle;
  skip_middle.columns = "item,-,user";
  EXPECT_TRUE(detect_format(skipped, skip_middle).has_header);
}

TEST_F(DetectFormat, HeaderOptionOverridesGuess) {
  const auto path = write("h.csv", "1,2,3\n4,5,6\n");
  FormatOptions yes;
  yes.header = HeaderMode::kYes;
  const Format skipped = detect_format(path, yes);
  EXPECT_TRUE(skipped.has_header);
  EXPECT_EQ(skipped.data_begin, 6U);
  EXPECT_EQ(read_all(path, skipped), (std::vector<Rating>{{"4", "5", 6, 0}}));

  const auto named = write("n.csv", "user,item,rating\n1,2,3\n");
  FormatOptions no;
  no.header = HeaderMode::kNo;
  const Format kept = detect_format(named, no);
  EXPECT_FALSE(kept.has_header);
  EXPECT_EQ(kept.data_begin, 0U);
}

TEST_F(DetectFormat, ExplicitFormatOverridesName) {
  const auto path = write("ratings.csv", "1 2 3\n");
  FormatOptions options;
  options.format = FormatKind::kLibmf;
  const Format f = detect_format(path, options);
  EXPECT_EQ(f.kind, FormatKind::kLibmf);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"1", "2", 3, 0}}));
}

TEST_F(DetectFormat, ExplicitSeparatorOverridesContent) {
  const auto path = write("semi.txt", "a b;c::d;3\n");
  FormatOptions options;
  options.separator = ";";
  const Format f = detect_format(path, options);
  EXPECT_EQ(f.kind, FormatKind::kCsv);
  EXPECT_EQ(f.separator, ";");
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"a b", "c::d", 3, 0}}));
}

TEST_F(DetectFormat, ExplicitFormatAndSeparator) {
  const auto path = write("r.dat", "u|i|2|9\n");
  FormatOptions options;
  options.format = FormatKind::kMovieLens;
  options.separator = "|";
  const Format f = detect_format(path, options);
  EXPECT_EQ(f.kind, FormatKind::kMovieLens);
  EXPECT_EQ(read_all(path, f), (std::vector<Rating>{{"u", "i", 2, 9}}));
}

TEST_F(DetectFormat, SeparatorSpellings) {
  const auto path = write("t.txt", "u\ti\t2\n");
  for (const std::string_view sep : {"\t", "\\t", "tab", "TAB"}) {
    FormatOptions options;
    options.separator = sep;
    const Format f = detect_format(path, options);
    EXPECT_EQ(f.kind, FormatKind::kTsv) << sep;
    EXPECT_EQ(f.separator, "\t") << sep;
  }
  const auto spaced = write("s.txt", "u   i 2\n");
  for (const std::string_view sep : {" ", "space", "blank"}) {
    FormatOptions options;
    options.separator = sep;
    const Format f = detect_format(spaced, options);
    EXPECT_EQ(f.separator, " ") << sep;
    EXPECT_EQ(read_all(spaced, f), (std::vector<Rating>{{"u", "i", 2, 0}})) << sep;
  }
}

TEST(Separator, NormalizeAndDescribe) {
  EXPECT_EQ(normalize_separator(""), "");
  EXPECT_EQ(normalize_separator("tab"), "\t");
  EXPECT_EQ(normalize_separator("  "), " ");
  EXPECT_EQ(normalize_separator("::"), "::");
  EXPECT_EQ(normalize_separator(";"), ";");
  EXPECT_EQ(describe_separator("\t"), "TAB");
  EXPECT_EQ(describe_separator(" "), "blanks");
  EXPECT_EQ(describe_separator("::"), "'::'");
}

TEST(ParseColumns, NamesSkipsAndOrder) {
  EXPECT_EQ(parse_columns("user,item,rating,time"), kUirt);
  EXPECT_EQ(parse_columns(" Item , skip,USER,-"),
            (std::vector<Column>{Column::kItem, Column::kSkip, Column::kUser, Column::kSkip}));
}

std::string columns_error(std::string_view text) {
  try {
    (void)parse_columns(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ParseColumns, RejectsBadLists) {
  EXPECT_NE(columns_error("user,movie,rating").find("unknown column 'movie'"), std::string::npos);
  EXPECT_NE(columns_error("user,item,user").find("names 'user' twice"), std::string::npos);
  EXPECT_NE(columns_error("user,rating").find("no 'item' column"), std::string::npos);
  EXPECT_NE(columns_error("item,rating").find("no 'user' column"), std::string::npos);
  EXPECT_NE(columns_error("user,,item").find("empty entry"), std::string::npos);
  EXPECT_EQ(columns_error("user,item,-,-"), "<no error>");  // skips may repeat
}

}  // namespace
}  // namespace dmf::io
