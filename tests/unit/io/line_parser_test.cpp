#include "dmf/io/line_parser.hpp"

#include <gtest/gtest.h>

#include "column_lists.hpp"

#include <algorithm>
#include <bit>
#include <random>
#include <string>

#include "dmf/core/error.hpp"
#include "dmf/io/text_values.hpp"

namespace dmf::io {
namespace {

Format make_format(std::string separator, std::vector<Column> columns,
                   FormatKind kind = FormatKind::kCsv) {
  Format format;
  format.kind = kind;
  format.separator = std::move(separator);
  format.columns = std::move(columns);
  for (const Column c : format.columns) {
    if (c == Column::kTime) format.has_time = true;
  }
  format.has_rating = std::find(format.columns.begin(), format.columns.end(), Column::kRating) !=
                      format.columns.end();
  return format;
}

using fixtures::kUir;
using fixtures::kUirt;

/// Parses one line that must be valid.
ParsedLine good(const LineParser& parser, std::string_view line) {
  ParsedLine out;
  std::optional<LineError> error;
  EXPECT_TRUE(parser.parse(line, out, error))
      << "line: " << line << " error: " << error.value_or("");
  EXPECT_FALSE(error.has_value());
  return out;
}

/// The error phrase for a line that must be invalid; `out` must stay untouched.
std::string bad(const LineParser& parser, std::string_view line) {
  ParsedLine out;
  out.user = "untouched";
  std::optional<LineError> error;
  EXPECT_FALSE(parser.parse(line, out, error)) << "line: " << line;
  EXPECT_EQ(out.user, "untouched");
  return error.value_or("<no error>");
}

bool skipped(const LineParser& parser, std::string_view line) {
  ParsedLine out;
  std::optional<LineError> error;
  return !parser.parse(line, out, error) && !error.has_value();
}

TEST(LineParser, SplitsCommaSeparatedLine) {
  const LineParser parser(make_format(",", kUir));
  const ParsedLine line = good(parser, "17,42,4.5");
  EXPECT_EQ(line.user, "17");
  EXPECT_EQ(line.item, "42");
  EXPECT_EQ(line.rating, 4.5F);
}

TEST(LineParser, MovieLensDoubleColonWithTime) {
  const LineParser parser(make_format("::", kUirt, FormatKind::kMovieLens));
  const ParsedLine line = good(parser, "1::1193::5::978300760");
  EXPECT_EQ(line.user, "1");
  EXPECT_EQ(line.item, "1193");
  EXPECT_EQ(line.rating, 5.0F);
  EXPECT_EQ(line.time, 978300760);
}

TEST(LineParser, TrimsCarriageReturnAndBlanks) {
  const LineParser parser(make_format(",", kUir));
  for (const std::string_view text : {"1,2,3\r", "1,2,3  \r", "  1 , 2 ,\t3 \t", "1,2,3 "}) {
    const ParsedLine line = good(parser, text);
    EXPECT_EQ(line.user, "1") << text;
    EXPECT_EQ(line.item, "2") << text;
    EXPECT_EQ(line.rating, 3.0F) << text;
  }
}

TEST(LineParser, BlankLinesAreSkippedWithoutError) {
  const LineParser parser(make_format(",", kUir));
  for (const std::string_view text : {"", " ", "\r", " \t \r"}) EXPECT_TRUE(skipped(parser, text));
}

TEST(LineParser, StripsOnePairOfQuotes) {
  const LineParser parser(make_format(",", kUir));
  const ParsedLine line = good(parser, R"( "0042" ,"tt0104257","3.5")");
  EXPECT_EQ(line.user, "0042");
  EXPECT_EQ(line.item, "tt0104257");
  EXPECT_EQ(line.rating, 3.5F);
  EXPECT_EQ(good(parser, R"(""x"",i,1)").user, "\"x\"");  // only one pair
}

TEST(LineParser, IdsAreKeptAsWrittenWithLeadingZeros) {
  const LineParser parser(make_format("\t", kUir, FormatKind::kTsv));
  const ParsedLine line = good(parser, "0104257\t00\t1");
  EXPECT_EQ(line.user, "0104257");
  EXPECT_EQ(line.item, "00");
}

TEST(LineParser, MatchesNaiveSplitForFieldsOfEveryLength) {
  // The separator search steps eight bytes at a time: put it at every offset,
  // next to multi-byte UTF-8 (bytes >= 0x80) and to the byte below it.
  const std::string alphabet =
      "ab+\xC3\xA9\xFF\x80-"
      "9";  // '+' sits just below ','
  for (const std::string separator : {",", "\t", "::"}) {
    const LineParser parser(make_format(separator, kUir));
    for (std::size_t user_length = 1; user_length <= 20; ++user_length) {
      for (std::size_t item_length = 1; item_length <= 20; item_length += 3) {
        std::string user;
        std::string item;
        for (std::size_t k = 0; k < user_length; ++k)
          user += alphabet[(k * 7 + item_length) % alphabet.size()];
        for (std::size_t k = 0; k < item_length; ++k)
          item += alphabet[(k * 5 + user_length) % alphabet.size()];
        const std::string text = user + separator + item + separator + "2";
        const ParsedLine line = good(parser, text);  // views into text
        EXPECT_EQ(line.user, user);
        EXPECT_EQ(line.item, item);
        EXPECT_EQ(line.rating, 2.0F);
      }
    }
  }
}

TEST(LineParser, BlankSeparatedRunsAndLeadingBlanks) {
  const LineParser parser(make_format(" ", kUir, FormatKind::kLibmf));
  const ParsedLine line = good(parser, "  7 \t 8    2.5  \r");
  EXPECT_EQ(line.user, "7");
  EXPECT_EQ(line.item, "8");
  EXPECT_EQ(line.rating, 2.5F);
}

/// A MatrixMarket format of `rows` x `cols` (the size line's numbers).
Format matrix_market(std::vector<Column> columns, std::uint64_t rows, std::uint64_t cols,
                     bool integer = false) {
  Format format = make_format(" ", std::move(columns), FormatKind::kMatrixMarket);
  format.mm_rows = rows;
  format.mm_cols = cols;
  format.integer_ratings = integer;
  return format;
}

TEST(LineParser, MatrixMarketCommentsAndPattern) {
  const LineParser parser(matrix_market({Column::kUser, Column::kItem}, 5, 5));
  EXPECT_TRUE(skipped(parser, "% a comment"));
  EXPECT_TRUE(skipped(parser, "  %indented comment"));
  const ParsedLine line = good(parser, "3 5");
  EXPECT_EQ(line.user, "3");
  EXPECT_EQ(line.item, "5");
  EXPECT_EQ(line.rating, 1.0F);
}

TEST(LineParser, MatrixMarketIndicesMustLieWithinTheSizeLine) {
  const LineParser parser(matrix_market(kUir, 3, 4));
  EXPECT_EQ(good(parser, "3 4 1.5").rating, 1.5F);
  EXPECT_EQ(good(parser, "1 1 2").user, "1");
  EXPECT_EQ(bad(parser, "0 1 2"), "row index 0 is outside 1..3, the size line's rows");
  EXPECT_EQ(bad(parser, "4 1 2"), "row index 4 is outside 1..3, the size line's rows");
  EXPECT_EQ(bad(parser, "1 0 2"), "column index 0 is outside 1..4, the size line's columns");
  EXPECT_EQ(bad(parser, "1 5 2"), "column index 5 is outside 1..4, the size line's columns");
  EXPECT_EQ(bad(parser, "-1 1 2"), "row index -1 is outside 1..3, the size line's rows");
  EXPECT_EQ(bad(parser, "a 1 2"), "row index 'a' is not an integer");
  EXPECT_EQ(bad(parser, "1 2.0 2"), "column index '2.0' is not an integer");
  // --columns item,user,rating: the row is still the first field.
  const LineParser swapped(matrix_market({Column::kItem, Column::kUser, Column::kRating}, 3, 4));
  EXPECT_EQ(good(swapped, "3 4 1").item, "3");
  EXPECT_EQ(bad(swapped, "4 3 1"), "row index 4 is outside 1..3, the size line's rows");
}

TEST(LineParser, MatrixMarketIntegerValuesMustBeIntegers) {
  const LineParser parser(matrix_market(kUir, 3, 3, /*integer=*/true));
  EXPECT_EQ(good(parser, "1 1 5").rating, 5.0F);
  EXPECT_EQ(good(parser, "1 1 -2").rating, -2.0F);
  EXPECT_EQ(bad(parser, "1 1 2.5"),
            "value 2.5 is not an integer, which the banner's field 'integer' requires");
  EXPECT_EQ(bad(parser, "1 1 1e2"),
            "value 1e2 is not an integer, which the banner's field 'integer' requires");
  const LineParser real(matrix_market(kUir, 3, 3));
  EXPECT_EQ(good(real, "1 1 2.5").rating, 2.5F);
}

TEST(LineParser, PercentIsDataOutsideMatrixMarket) {
  const LineParser parser(make_format(",", kUir));
  EXPECT_EQ(good(parser, "%u,i,1").user, "%u");
}

TEST(LineParser, ColumnsReorderedAndSkipped) {
  const LineParser parser(make_format(
      ";", {Column::kItem, Column::kSkip, Column::kTime, Column::kUser, Column::kRating}));
  const ParsedLine line = good(parser, "i9;whatever;-12;u3;2");
  EXPECT_EQ(line.user, "u3");
  EXPECT_EQ(line.item, "i9");
  EXPECT_EQ(line.time, -12);
  EXPECT_EQ(line.rating, 2.0F);
}

TEST(LineParser, WithoutRatingColumnEveryRatingIsOne) {
  const LineParser parser(make_format(",", {Column::kUser, Column::kItem}));
  EXPECT_EQ(good(parser, "a,b").rating, 1.0F);
}

TEST(LineParser, AcceptsNumberSpellings) {
  const LineParser parser(make_format(",", kUir));
  EXPECT_EQ(good(parser, "a,b,+4").rating, 4.0F);
  EXPECT_EQ(good(parser, "a,b,-1.25").rating, -1.25F);
  EXPECT_EQ(good(parser, "a,b,5e-1").rating, 0.5F);
  EXPECT_EQ(good(parser, "a,b,.5").rating, 0.5F);
}

TEST(LineParser, OneDigitRatingsTakeTheShortPathToTheSameValues) {
  const LineParser parser(make_format(",", kUir));
  for (char digit = '0'; digit <= '9'; ++digit) {
    EXPECT_EQ(good(parser, fmt::format("a,b,{}", digit)).rating, static_cast<float>(digit - '0'));
  }
  EXPECT_EQ(good(parser, "a,b,7 ").rating, 7.0F);
  EXPECT_NE(bad(parser, "a,b,x").find("is not a number"), std::string::npos);
  EXPECT_EQ(good(parser, "a,b,10").rating, 10.0F);
}

TEST(LineParser, WrongFieldCounts) {
  const LineParser parser(make_format(",", kUirt));
  EXPECT_EQ(bad(parser, "1,2,3"), "expected 4 fields, found 3");
  EXPECT_EQ(bad(parser, "1,2,3,4,5"), "expected 4 fields, found 5");
  EXPECT_EQ(bad(parser, "1,2,3,4,"), "expected 4 fields, found 5");
  EXPECT_EQ(bad(parser, "1;2;3;4"), "expected 4 fields separated by ',', found 1");
  const LineParser blanks(make_format(" ", kUir, FormatKind::kLibmf));
  EXPECT_EQ(bad(blanks, "1 2"), "expected 3 fields, found 2");
  EXPECT_EQ(bad(blanks, "1 2 3 4"), "expected 3 fields, found 4");
}

TEST(LineParser, BadRatings) {
  const LineParser parser(make_format(",", kUir));
  EXPECT_EQ(bad(parser, "1,2,abc"), "rating 'abc' is not a number");
  EXPECT_EQ(bad(parser, "1,2,4x"), "rating '4x' is not a number");
  EXPECT_EQ(bad(parser, "1,2,0x1"), "rating '0x1' is not a number");
  EXPECT_EQ(bad(parser, "1,2,"), "empty rating");
  EXPECT_EQ(bad(parser, "1,2,inf"), "rating inf is not finite");
  EXPECT_EQ(bad(parser, "1,2,-Infinity"), "rating -Infinity is not finite");
  EXPECT_EQ(bad(parser, "1,2,nan"), "rating nan is not finite");
  EXPECT_EQ(bad(parser, "1,2,1e99"), "rating 1e99 is out of range for a float");
}

TEST(LineParser, RatingRangeIsInclusive) {
  const LineParser parser(make_format(",", kUir), RatingRange{1.0, 5.0});
  EXPECT_EQ(good(parser, "u,i,1").rating, 1.0F);
  EXPECT_EQ(good(parser, "u,i,5").rating, 5.0F);
  EXPECT_EQ(bad(parser, "u,i,7"), "rating 7 is outside --rating-range 1:5");
  EXPECT_EQ(bad(parser, "u,i,0.5"), "rating 0.5 is outside --rating-range 1:5");
  // 0.3 as a float is a hair above 0.3 as a double; it must still be inside.
  const LineParser tenths(make_format(",", kUir), RatingRange{0.1, 0.3});
  EXPECT_EQ(good(tenths, "u,i,0.3").rating, 0.3F);
  EXPECT_EQ(good(tenths, "u,i,0.1").rating, 0.1F);
}

TEST(LineParser, FiniteButAbsurdRatingsAreOutsideTheDefaultRange) {
  const LineParser parser(make_format(",", kUir));
  EXPECT_EQ(good(parser, "u,i,1e9").rating, 1e9F);
  EXPECT_EQ(good(parser, "u,i,-1e9").rating, -1e9F);
  EXPECT_EQ(bad(parser, "u,i,3e38"),
            "rating 3e38 is outside the default --rating-range -1e9:1e9 (larger ratings overflow "
            "training's sums)");
  EXPECT_EQ(bad(parser, "u,i,-2e9"),
            "rating -2e9 is outside the default --rating-range -1e9:1e9 (larger ratings overflow "
            "training's sums)");
}

TEST(RatingRangeText, BoundsMustLieWithinTheLargestMagnitude) {
  RatingRange range;
  parse_value("-1e9:1e9", range);
  EXPECT_EQ(range.min, -1e9);
  EXPECT_EQ(range.max, 1e9);
  parse_value("1:5", range);
  EXPECT_EQ(range.max, 5.0);
  for (const char* text : {"0:3e38", "-2e9:5", "1:1e10"}) {
    try {
      parse_value(text, range);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("within -1e9:1e9"), std::string::npos) << e.what();
    }
  }
}

TEST(LineParser, IdLengthLimits) {
  const LineParser parser(make_format(",", kUir));
  const std::string longest(kMaxIdLength, 'x');
  const std::string too_long(kMaxIdLength + 1, 'x');
  EXPECT_EQ(good(parser, longest + ",i,1").user, longest);
  EXPECT_EQ(good(parser, "u,\"" + longest + "\",1").item, longest);
  EXPECT_EQ(bad(parser, too_long + ",i,1"), "user ID is longer than 256 bytes");
  EXPECT_EQ(bad(parser, "u," + too_long + ",1"), "item ID is longer than 256 bytes");
}

TEST(LineParser, ControlBytesInIdsAreErrors) {
  const LineParser parser(make_format(",", kUir));
  using namespace std::string_literals;
  EXPECT_EQ(bad(parser, "a\0b,i,1"s), "user ID holds the control byte 0x00");
  EXPECT_EQ(bad(parser, "u,\x01i,1"s), "item ID holds the control byte 0x01");
  EXPECT_EQ(bad(parser, "u\nv,i,1"), "user ID holds the control byte 0x0a");
  EXPECT_EQ(bad(parser, "u,i\x7f,1"), "item ID holds the control byte 0x7f");
  EXPECT_EQ(bad(parser, "u,i\x1b[0m,1"), "item ID holds the control byte 0x1b");
  // UTF-8 is bytes above 0x7f, a TAB is text like a blank: both fine. Blanks
  // and a CR around fields are trimmed.
  EXPECT_EQ(good(parser, "\"Tom\tJones\",i,1").user, "Tom\tJones");
  EXPECT_EQ(good(parser, "\xc3\xa9t\xc3\xa9,i,1").user, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(good(parser, " u ,\ti,1\r").item, "i");
}

TEST(LineParser, EmptyIds) {
  const LineParser parser(make_format(",", kUir));
  EXPECT_EQ(bad(parser, ",i,1"), "empty user ID");
  EXPECT_EQ(bad(parser, " \"\" ,i,1"), "empty user ID");
  EXPECT_EQ(bad(parser, "u, ,1"), "empty item ID");
}

TEST(LineParser, BadTimes) {
  const LineParser parser(make_format(",", kUirt));
  EXPECT_EQ(bad(parser, "1,2,3,x"), "time 'x' is not an integer");
  EXPECT_EQ(bad(parser, "1,2,3,1.5"), "time '1.5' is not an integer");
  EXPECT_EQ(bad(parser, "1,2,3,"), "time '' is not an integer");
  EXPECT_EQ(bad(parser, "1,2,3,99999999999999999999"),
            "time '99999999999999999999' is not an integer");
}

TEST(LineParser, LongFieldsAreCutInMessages) {
  const LineParser parser(make_format(",", kUir));
  const std::string error = bad(parser, "u,i," + std::string(1000, 'z'));
  EXPECT_LT(error.size(), 100U);
  EXPECT_NE(error.find("...' is not a number"), std::string::npos) << error;
}

TEST(LineParser, ErrorIsClearedByTheNextCall) {
  const LineParser parser(make_format(",", kUir));
  ParsedLine out;
  std::optional<LineError> error;
  EXPECT_FALSE(parser.parse("1,2", out, error));
  EXPECT_TRUE(error.has_value());
  EXPECT_FALSE(parser.parse("", out, error));
  EXPECT_FALSE(error.has_value());
}

TEST(LineParser, OutlivesTheFormatItWasBuiltFrom) {
  const LineParser parser(make_format("::", kUir, FormatKind::kMovieLens));  // a temporary
  const std::string filler(1000, 'f');  // reuse the freed memory if it were kept
  EXPECT_EQ(good(parser, "a::b::2").item, "b");
}

/// parse_plain accepts `line` exactly as parse() reads it, or refuses it.
void expect_plain_agrees(const LineParser& parser, std::string_view line) {
  PlainLine plain;
  if (!parser.parse_plain(line, plain)) return;
  ParsedLine parsed;
  std::optional<LineError> error;
  ASSERT_TRUE(parser.parse(line, parsed, error)) << "plain took a line parse refuses: " << line;
  EXPECT_EQ(plain.user, parsed.user) << line;
  EXPECT_EQ(plain.item, parsed.item) << line;
  EXPECT_EQ(std::to_string(plain.user_value), parsed.user) << line;
  EXPECT_EQ(std::to_string(plain.item_value), parsed.item) << line;
  EXPECT_EQ(std::bit_cast<std::uint32_t>(plain.rating), std::bit_cast<std::uint32_t>(parsed.rating))
      << line;
  EXPECT_EQ(plain.time, parsed.time) << line;
}

TEST(LineParser, PlainPathTakesTheUsualLines) {
  const LineParser csv(make_format(",", kUir));
  const LineParser blanks(make_format(" ", kUir, FormatKind::kLibmf));
  const LineParser movielens(make_format("::", kUirt, FormatKind::kMovieLens));
  PlainLine plain;
  ASSERT_TRUE(csv.parse_plain("12,0,3.5\r", plain));
  EXPECT_EQ(plain.user_value, 12U);
  EXPECT_EQ(plain.item, "0");
  EXPECT_EQ(plain.rating, 3.5F);
  ASSERT_TRUE(blanks.parse_plain("7\t9 4", plain));
  EXPECT_EQ(plain.item_value, 9U);
  EXPECT_EQ(plain.rating, 4.0F);
  ASSERT_TRUE(movielens.parse_plain("1::1193::5::978300760", plain));
  EXPECT_EQ(plain.time, 978300760);
  // Lines the general parse must see: text and zero-padded IDs, blanks
  // and quotes, missing or extra fields, invalid ratings.
  for (const std::string_view line :
       {"a,2,3", "01,2,3", "-1,2,3", "1,2", "1,2,3,4", "1,,3", " 1,2,3", "1,2, 3", "1,\"2\",3",
        "1,2,x", "1,2,1e99", "1,2,2e9", "1,2,nan", "", "1234567890123456789,2,3"}) {
    EXPECT_FALSE(csv.parse_plain(line, plain)) << line;
  }
  EXPECT_FALSE(blanks.parse_plain("1  2 3", plain));
  EXPECT_FALSE(blanks.parse_plain("1 2 3 ", plain));
  EXPECT_FALSE(movielens.parse_plain("1:2::3::4", plain));
  // The format's --rating-range.
  const LineParser ranged(make_format(",", kUir), RatingRange{1.0, 5.0});
  EXPECT_FALSE(ranged.parse_plain("1,2,6", plain));
  EXPECT_TRUE(ranged.parse_plain("1,2,5", plain));
}

TEST(LineParser, PlainPathAgreesWithParseOnEveryLine) {
  // Short random lines over the bytes that matter to either path.
  constexpr std::string_view kBytes = "0123456789012345,,:: \t\"\r.-+exa";
  std::mt19937_64 random(7);
  const std::vector<LineParser> parsers{
      LineParser(make_format(",", kUir)),
      LineParser(make_format(",", kUirt)),
      LineParser(make_format(" ", kUir, FormatKind::kLibmf)),
      LineParser(make_format("\t", {Column::kUser, Column::kSkip, Column::kItem, Column::kRating})),
      LineParser(make_format("::", kUirt, FormatKind::kMovieLens)),
      LineParser(make_format(",", {Column::kItem, Column::kUser})),
      LineParser(make_format(",", kUir), RatingRange{0.5, 5.0}),
  };
  // Half the lines random bytes, half random fields (plain ones and the
  // near misses) joined by random separators.
  const std::vector<std::string_view> fields{"1",  "23", "0",   "01", " 4", "5 ",  "\"6\"", "3.5",
                                             "-2", "+7", "1e3", "x",  "",   "nan", "2e9",   "99"};
  const std::vector<std::string_view> separators{",", " ", "\t", "::", ":", "  ", ", "};
  int plain_lines = 0;
  for (int n = 0; n < 50000; ++n) {
    std::string line;
    if (n % 2 == 0) {
      const auto length = random() % 14;
      for (std::uint64_t k = 0; k < length; ++k) line += kBytes[random() % kBytes.size()];
    } else {
      const std::string_view separator = separators[random() % separators.size()];
      const auto count = 2 + random() % 4;
      for (std::uint64_t k = 0; k < count; ++k) {
        if (k > 0) line += random() % 8 == 0 ? separators[random() % separators.size()] : separator;
        line += fields[random() % (random() % 4 == 0 ? fields.size() : 3)];  // mostly plain
      }
      if (random() % 4 == 0) line += "\r";
    }
    for (const auto& parser : parsers) {
      expect_plain_agrees(parser, line);
      PlainLine plain;
      plain_lines += parser.parse_plain(line, plain) ? 1 : 0;
    }
  }
  EXPECT_GT(plain_lines, 2000);  // the random lines do reach the plain path
}

TEST(LineParser, RefusesFormatWithoutUserOrItem) {
  EXPECT_THROW(LineParser(make_format(",", {Column::kUser, Column::kRating})), Error);
}

}  // namespace
}  // namespace dmf::io
