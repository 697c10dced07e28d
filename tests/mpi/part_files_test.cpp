// A directory of part files (Spark and Hive exports) against the one file
// they concatenate to: the same blocks, report and fingerprint at 1-4 ranks;
// errors name the part file and its own line; marker files are not read.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/fingerprint.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/strings.hpp"
#include "support/collective_error.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

dist::Comm world() { return dist::Comm::world(); }

constexpr std::string_view kHeader = "user,item,rating,time\n";

/// `count` rating lines "user,item,rating,time\n", distinct pairs.
std::vector<std::string> rating_lines(std::uint64_t seed, int count) {
  Rng rng(seed);
  std::vector<std::string> lines;
  for (int k = 0; k < count; ++k) {
    // Pair k is distinct by its item; users repeat so rows hold several.
    lines.push_back(fmt::format("u{},{},{},{}\n", rng.below(40), 1000 + k,
                                static_cast<double>(1 + rng.below(10)) / 2.0,
                                100000 + rng.below(1000)));
  }
  return lines;
}

std::string join(const std::vector<std::string>& lines, std::size_t begin, std::size_t end) {
  std::string out;
  for (std::size_t k = begin; k < end; ++k) out += lines[k];
  return out;
}

/// Both blocks of every rank, rows by ID, as text.
std::vector<std::string> blocks_as_text(const dist::Comm& comm, const RatingsData& data) {
  std::vector<std::string> mine;
  for (const SparseBlock* block : {&data.by_user, &data.by_item}) {
    const bool users = block == &data.by_user;
    const IdDirectory& rows = users ? data.users : data.items;
    for (std::uint32_t r = 0; r < block->rows(); ++r) {
      for (std::uint64_t k = block->offsets[r]; k < block->offsets[r + 1]; ++k) {
        mine.push_back(fmt::format("{} {} {} {} {}", users, rows.token(r), block->columns[k],
                                   block->values[k], block->times.empty() ? 0 : block->times[k]));
      }
    }
  }
  return dist::allgather_strings(comm, mine);
}

/// Spark's companions of the parts, none of them ratings.
void write_markers(const test::TempDir& parts) {
  (void)parts.write("_SUCCESS", "");
  (void)parts.write(".part-00000.csv.crc", "\x01\x02 not a rating");
  (void)parts.write("part-00001.csv.crc", "crc,of,part,1,garbage");
  (void)parts.write(".hidden", "a,b,c,d,e,f");
}

TEST(PartFiles, DirectoryLoadsAsItsConcatenation) {
  const auto comm = world();
  const test::TempDir dir(comm);
  const test::TempDir parts(comm);
  const auto lines = rating_lines(3, 600);
  // Uneven parts: one with the header, one empty, one without a final
  // newline (its last line ends with the file), one repeating the header
  // (Spark writes it in each part).
  (void)parts.write("part-00000.csv", std::string(kHeader) + join(lines, 0, 200));
  (void)parts.write("part-00001.csv", "");
  std::string cut = join(lines, 200, 450);
  cut.pop_back();
  (void)parts.write("part-00002.csv", cut);
  (void)parts.write("part-00003.csv", std::string(kHeader) + join(lines, 450, 600));
  write_markers(parts);
  const auto whole = dir.write("whole.csv", std::string(kHeader) + join(lines, 0, 600));

  for (const int threads : {1, 2}) {
    LoadOptions options;
    options.threads = threads;
    options.keep_time = true;
    const auto from_parts = load_ratings(comm, parts.path().string(), options);
    const auto from_file = load_ratings(comm, whole, options);
    EXPECT_EQ(blocks_as_text(comm, from_parts), blocks_as_text(comm, from_file));
    EXPECT_EQ(fingerprint(comm, from_parts), fingerprint(comm, from_file));
    const LoadReport& a = from_parts.report;
    const LoadReport& b = from_file.report;
    EXPECT_EQ(a.ratings, 600U);
    EXPECT_EQ(a.ratings, b.ratings);
    EXPECT_EQ(a.lines, b.lines);
    EXPECT_TRUE(a.format.has_header);
    EXPECT_EQ(a.format.columns, b.format.columns);
    EXPECT_EQ(from_parts.users.total_rows(), from_file.users.total_rows());
    EXPECT_EQ(from_parts.items.total_rows(), from_file.items.total_rows());

    // Sets read where they lie (--validation, --test, eval) alike.
    const auto here = read_ratings_here(comm, parts.path().string(), options);
    EXPECT_EQ(comm.allreduce<std::uint64_t>(here.size(), dist::Op::kSum), 600U);
  }
}

// Spark writes a part holding the header alone for an empty partition:
// such parts, first or not, hold no ratings and the format comes from the next.
TEST(PartFiles, HeaderOnlyPartsHoldNoRatings) {
  const auto comm = world();
  const test::TempDir dir(comm);
  const test::TempDir parts(comm);
  const auto lines = rating_lines(5, 120);
  (void)parts.write("part-00000.csv", kHeader);
  (void)parts.write("part-00001.csv", std::string(kHeader) + join(lines, 0, 70));
  (void)parts.write("part-00002.csv", kHeader);
  (void)parts.write("part-00003.csv", std::string(kHeader) + join(lines, 70, 120));
  const auto whole = dir.write("whole.csv", std::string(kHeader) + join(lines, 0, 120));
  const auto from_parts = load_ratings(comm, parts.path().string(), LoadOptions{});
  const auto from_file = load_ratings(comm, whole, LoadOptions{});
  EXPECT_EQ(blocks_as_text(comm, from_parts), blocks_as_text(comm, from_file));
  EXPECT_EQ(from_parts.report.ratings, 120U);
  EXPECT_TRUE(from_parts.report.format.has_header);
}

// A part skips its first line only when it repeats the first part's header,
// --header yes or not: a part without it loses no rating.
TEST(PartFiles, OnlyARepeatedHeaderIsSkipped) {
  const auto comm = world();
  const test::TempDir parts(comm);
  const auto lines = rating_lines(6, 30);
  (void)parts.write("part-00000.csv", std::string(kHeader) + join(lines, 0, 10));
  (void)parts.write("part-00001.csv", join(lines, 10, 20));
  (void)parts.write("part-00002.csv", std::string(kHeader) + join(lines, 20, 30));
  for (const auto header : {io::HeaderMode::kAuto, io::HeaderMode::kYes}) {
    LoadOptions options;
    options.format.header = header;
    EXPECT_EQ(load_ratings(comm, parts.path().string(), options).report.ratings, 30U);
  }
}

TEST(PartFiles, BadLineNamesItsPartAndItsLine) {
  const auto comm = world();
  const test::TempDir parts(comm);
  const auto lines = rating_lines(4, 300);
  // Parts without data lines before the bad one count no lines.
  (void)parts.write("part-00000.csv", std::string(kHeader) + join(lines, 0, 100));
  (void)parts.write("part-00001.csv", "");
  (void)parts.write("part-00002.csv", kHeader);
  (void)parts.write("part-00003.csv", std::string(kHeader) + join(lines, 100, 200));
  // Line 17 of the last part: its header, then 15 good lines.
  (void)parts.write("part-00004.csv", std::string(kHeader) + join(lines, 200, 215) +
                                          "u1,9,oops,1\n" + join(lines, 215, 300));
  write_markers(parts);
  const std::string where = (parts.path() / "part-00004.csv").string() + ":17: ";
  for (const int threads : {1, 3}) {
    LoadOptions options;
    options.threads = threads;
    const std::string message =
        test::collective_error([&] { (void)load_ratings(comm, parts.path().string(), options); });
    EXPECT_NE(message.find(where + "rating 'oops' is not a number: u1,9,oops,1"), std::string::npos)
        << message << " (threads " << threads << ")";

    options.bad_lines = BadLinePolicy::kSkip;
    const auto data = load_ratings(comm, parts.path().string(), options);
    EXPECT_EQ(data.report.ratings, 300U);
    ASSERT_EQ(data.report.bad_line_examples.size(), 1U);
    EXPECT_NE(data.report.bad_line_examples[0].find(where), std::string::npos)
        << data.report.bad_line_examples[0];
  }
}

TEST(PartFiles, PartsWithOtherColumnsAreOneErrorNamingThePart) {
  const auto comm = world();
  const test::TempDir parts(comm);
  (void)parts.write("part-00000.csv", "1,2,3\n4,5,6\n");
  (void)parts.write("part-00001.csv", "\n7,8,9,10\n");
  const std::string message = test::collective_error(
      [&] { (void)load_ratings(comm, parts.path().string(), LoadOptions{}); });
  EXPECT_NE(message.find((parts.path() / "part-00001.csv").string() +
                         ":2: found 4 fields separated by ','"),
            std::string::npos)
      << message;
}

TEST(PartFiles, DirectoryWithoutDataFilesIsOneSentence) {
  const auto comm = world();
  const test::TempDir parts(comm);
  write_markers(parts);
  const std::string message = test::collective_error(
      [&] { (void)load_ratings(comm, parts.path().string(), LoadOptions{}); });
  EXPECT_NE(message.find(parts.path().string() + " is a directory without data files"),
            std::string::npos)
      << message;

  (void)parts.write("part-00000", "");
  const std::string empty = test::collective_error(
      [&] { (void)load_ratings(comm, parts.path().string(), LoadOptions{}); });
  EXPECT_NE(empty.find("contains no ratings: every file of the directory is empty"),
            std::string::npos)
      << empty;
}

// A partitioned export (user=1/part-00000.csv) is not read half; nor are
// MatrixMarket parts, each with its own size line.
TEST(PartFiles, SubdirectoriesAndMatrixMarketPartsAreRefused) {
  const auto comm = world();
  const test::TempDir parts(comm);
  (void)parts.write("part-00000.csv", "1,2,3\n");
  if (comm.is_root()) std::filesystem::create_directory(parts.path() / "user=1");
  comm.barrier();
  const std::string message = test::collective_error(
      [&] { (void)load_ratings(comm, parts.path().string(), LoadOptions{}); });
  EXPECT_NE(message.find("holds the directory user=1"), std::string::npos) << message;

  const test::TempDir mm(comm);
  (void)mm.write("part-00000.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 5\n");
  const std::string refused =
      test::collective_error([&] { (void)load_ratings(comm, mm.path().string(), LoadOptions{}); });
  EXPECT_NE(refused.find("a directory of MatrixMarket files cannot be read as one"),
            std::string::npos)
      << refused;
}

}  // namespace
}  // namespace dmf::data
