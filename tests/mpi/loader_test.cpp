// The parallel loader against the input itself: for any number of ranks, the
// union of the per-rank blocks is exactly the file's multiset of ratings,
// each held by one user owner and one item owner.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/strings.hpp"
#include "support/collective_error.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

struct Rating {
  std::string user;
  std::string item;
  float value = 0.0F;
  std::int64_t time = 0;
};

dist::Comm world() { return dist::Comm::world(); }

/// Distinct (user, item) pairs with skewed degrees; IDs are integers or, with
/// `string_ids`, tokens with leading zeros and letters.
std::vector<Rating> random_ratings(std::uint64_t seed, int count, int users, int items,
                                   bool string_ids) {
  Rng rng(seed);
  std::set<std::pair<int, int>> seen;
  std::vector<Rating> out;
  while (static_cast<int>(out.size()) < count) {
    // Squaring a uniform skews toward small numbers: some heavy users/items.
    const auto u = static_cast<int>(users * rng.uniform() * rng.uniform());
    const auto i = static_cast<int>(items * rng.uniform() * rng.uniform());
    if (!seen.emplace(u, i).second) continue;
    Rating r;
    r.user = string_ids ? fmt::format("u{:03}", u) : std::to_string(u + 1);
    r.item = string_ids ? fmt::format("{:07}", i * 7) : std::to_string(i * 3 + 1);
    r.value = static_cast<float>(1 + rng.below(10)) / 2.0F;
    r.time = 1000000 + static_cast<std::int64_t>(rng.below(100000));
    out.push_back(r);
  }
  return out;
}

std::string to_csv(const std::vector<Rating>& ratings, bool header) {
  std::string out = header ? "user,item,rating,time\n" : "";
  for (const auto& r : ratings)
    out += fmt::format("{},{},{},{}\n", r.user, r.item, r.value, r.time);
  return out;
}

/// Every (user, item, rating) held on `side`, from all ranks, sorted.
std::vector<std::string> held(const dist::Comm& comm, const RatingsData& data, bool user_side) {
  const SparseBlock& block = user_side ? data.by_user : data.by_item;
  const IdDirectory& rows = user_side ? data.users : data.items;
  const IdDirectory& columns = user_side ? data.items : data.users;
  const auto column_tokens = columns.tokens_of(comm, block.columns);
  std::vector<std::string> mine;
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    for (std::uint64_t k = block.offsets[r]; k < block.offsets[r + 1]; ++k) {
      const std::string_view row = rows.token(r);
      const std::string& column = column_tokens[k];
      mine.push_back(user_side ? fmt::format("{}|{}|{}", row, column, block.values[k])
                               : fmt::format("{}|{}|{}", column, row, block.values[k]));
    }
  }
  auto all = dist::allgather_strings(comm, mine);
  std::ranges::sort(all);
  return all;
}

std::vector<std::string> expected(const std::vector<Rating>& ratings) {
  std::vector<std::string> out;
  for (const auto& r : ratings) out.push_back(fmt::format("{}|{}|{}", r.user, r.item, r.value));
  std::ranges::sort(out);
  return out;
}

/// Checks one side's directory: contiguous canonical ranges and sorted rows.
void expect_canonical(const dist::Comm& comm, const IdDirectory& dir, const SparseBlock& block,
                      std::vector<std::string> distinct, TokenOrder order) {
  EXPECT_EQ(dir.total_rows(), distinct.size());
  EXPECT_EQ(dir.first_row(), dir.ownership().begin(comm.rank()));
  EXPECT_EQ(dir.local_rows(), dir.ownership().rows(comm.rank()));
  EXPECT_EQ(block.rows(), dir.local_rows());
  EXPECT_EQ(block.first_row, dir.first_row());
  std::vector<std::string> mine;
  for (std::uint32_t r = 0; r < dir.local_rows(); ++r) mine.emplace_back(dir.token(r));
  std::ranges::sort(distinct, order);
  EXPECT_EQ(dist::allgather_strings(comm, mine), distinct) << "rows are not in canonical order";
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    const auto cols = block.row_columns(r);
    EXPECT_TRUE(std::ranges::is_sorted(cols));
    EXPECT_EQ(std::ranges::adjacent_find(cols), cols.end());
  }
}

class LoaderThreads : public ::testing::TestWithParam<int> {};

TEST_P(LoaderThreads, UnionOfBlocksIsTheInput) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto ratings = random_ratings(1, 3000, 200, 150, false);
  const auto path = dir.write("r.csv", to_csv(ratings, true));
  LoadOptions options;
  options.threads = GetParam();
  options.keep_lines = true;
  const auto data = load_ratings(comm, path, options);
  // Lines point back at their ratings whatever the threads: line k + 2 is rating k.
  const auto item_tokens = data.items.tokens_of(comm, data.by_user.columns);
  for (std::uint32_t r = 0; r < data.by_user.rows(); ++r) {
    for (std::uint64_t k = data.by_user.offsets[r]; k < data.by_user.offsets[r + 1]; ++k) {
      const Rating& source = ratings.at(data.by_user.lines[k] - 2);
      EXPECT_EQ(source.user, data.users.token(r));
      EXPECT_EQ(source.item, item_tokens[k]);
    }
  }
  EXPECT_EQ(data.report.ratings, ratings.size());
  EXPECT_EQ(held(comm, data, true), expected(ratings));
  EXPECT_EQ(held(comm, data, false), expected(ratings));
  std::set<std::string> users;
  std::set<std::string> items;
  for (const auto& r : ratings) {
    users.insert(r.user);
    items.insert(r.item);
  }
  EXPECT_TRUE(data.users.order().numeric());
  expect_canonical(comm, data.users, data.by_user, {users.begin(), users.end()}, TokenOrder(true));
  expect_canonical(comm, data.items, data.by_item, {items.begin(), items.end()}, TokenOrder(true));
}

INSTANTIATE_TEST_SUITE_P(OneToThreeThreadsPerRank, LoaderThreads, ::testing::Values(1, 2, 3));

TEST(Loader, StringIdsKeepTheirBytesAndSortBytewise) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto ratings = random_ratings(2, 2000, 120, 300, true);
  std::string text;
  for (const auto& r : ratings)
    text += fmt::format("{}::{}::{}::{}\r\n", r.user, r.item, r.value, r.time);
  const auto path = dir.write("ratings.dat", text);
  const auto data = load_ratings(comm, path, LoadOptions{});
  EXPECT_EQ(held(comm, data, true), expected(ratings));
  EXPECT_FALSE(data.items.order().numeric());
  std::set<std::string> items;
  for (const auto& r : ratings) items.insert(r.item);
  expect_canonical(comm, data.items, data.by_item, {items.begin(), items.end()}, TokenOrder(false));
}

TEST(Loader, BlocksAreBalancedByRatings) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto ratings = random_ratings(3, 6000, 400, 300, false);
  const auto data = load_ratings(comm, dir.write("r.csv", to_csv(ratings, false)), LoadOptions{});
  std::map<std::string, std::uint64_t> degree;
  for (const auto& r : ratings) ++degree[r.user];
  std::uint64_t heaviest = 0;
  for (const auto& [user, d] : degree) heaviest = std::max(heaviest, d);
  const double fair = static_cast<double>(ratings.size()) / comm.size();
  EXPECT_LE(static_cast<double>(data.by_user.nnz()), fair + static_cast<double>(heaviest));
}

TEST(Loader, MoreRanksThanUsersLeavesRanksEmpty) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto path = dir.write("tiny.csv", "1,10,4\n1,11,3\n");
  const auto data = load_ratings(comm, path, LoadOptions{});
  EXPECT_EQ(data.users.total_rows(), 1U);
  EXPECT_EQ(data.items.total_rows(), 2U);
  EXPECT_EQ(comm.allreduce<std::uint64_t>(data.by_user.nnz(), dist::Op::kSum), 2U);
  EXPECT_EQ(comm.allreduce<std::uint64_t>(data.by_item.nnz(), dist::Op::kSum), 2U);
}

TEST(Loader, KeptLinesAndTimesPointBackToTheFile) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto ratings = random_ratings(4, 500, 40, 40, false);
  const auto path = dir.write("r.csv", to_csv(ratings, true));
  LoadOptions options;
  options.keep_lines = true;
  options.keep_time = true;
  const auto data = load_ratings(comm, path, options);
  const auto items = data.items.tokens_of(comm, data.by_user.columns);
  for (std::uint32_t r = 0; r < data.by_user.rows(); ++r) {
    for (std::uint64_t k = data.by_user.offsets[r]; k < data.by_user.offsets[r + 1]; ++k) {
      const std::uint64_t line = data.by_user.lines[k];  // line 1 is the header
      ASSERT_GE(line, 2U);
      ASSERT_LE(line, ratings.size() + 1);
      const Rating& source = ratings[line - 2];
      EXPECT_EQ(source.user, data.users.token(r));
      EXPECT_EQ(source.item, items[k]);
      EXPECT_EQ(source.time, data.by_user.times[k]);
    }
  }
}

TEST(Loader, DuplicatesAreAnErrorNamingTheirLines) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto path =
      dir.write("d.csv", "user,item,rating\n1,5,3\n2,5,4\n1,6,2\n1,5,5\n2,5,1\n3,3,3\n");
  const std::string message =
      test::collective_error([&] { (void)load_ratings(comm, path, LoadOptions{}); });
  EXPECT_NE(message.find(path + ": 2 (user, item) pairs are rated more than once: "
                                "user 1, item 5 on lines 2 and 5; user 2, item 5 on lines 3 and 6"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("--duplicates first|last|mean|sum"), std::string::npos);
}

TEST(Loader, DuplicatePoliciesMergeInFileOrder) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto path = dir.write("d.csv", "1,5,3\n2,5,4\n1,6,2\n1,5,5\n1,5,4\n");
  const std::map<DuplicatePolicy, float> want{{DuplicatePolicy::kFirst, 3.0F},
                                              {DuplicatePolicy::kLast, 4.0F},
                                              {DuplicatePolicy::kMean, 4.0F},
                                              {DuplicatePolicy::kSum, 12.0F}};
  for (const auto& [policy, value] : want) {
    LoadOptions options;
    options.duplicates = policy;
    const auto data = load_ratings(comm, path, options);
    EXPECT_EQ(data.report.duplicate_pairs, 1U);
    EXPECT_EQ(data.report.duplicates_merged, 2U);
    EXPECT_EQ(data.report.ratings, 3U);
    auto all = held(comm, data, true);
    EXPECT_EQ(all, (std::vector<std::string>{fmt::format("1|5|{}", value), "1|6|2", "2|5|4"}))
        << to_string(policy);
    EXPECT_EQ(held(comm, data, false), all);
  }
}

/// Every rank's blocks of both sides, with their times and lines, as text.
std::vector<std::string> blocks_as_text(const dist::Comm& comm, const RatingsData& data) {
  std::vector<std::string> mine;
  for (const SparseBlock* block : {&data.by_user, &data.by_item}) {
    for (std::uint32_t r = 0; r < block->rows(); ++r) {
      for (std::uint64_t k = block->offsets[r]; k < block->offsets[r + 1]; ++k) {
        mine.push_back(fmt::format("{} {} {} {} {} {}", block == &data.by_user,
                                   block->first_row + r, block->columns[k], block->values[k],
                                   block->times[k], block->lines[k]));
      }
    }
  }
  return dist::allgather_strings(comm, mine);
}

// Routing in rounds of a few ratings gives the blocks of routing all at
// once, merged duplicates, times and lines included, for every policy.
TEST(Loader, ManySmallRoundsGiveTheSameBlocks) {
  const auto comm = world();
  test::TempDir dir(comm);
  auto ratings = random_ratings(9, 1000, 120, 90, false);
  for (int k = 0; k < 150; ++k) {  // duplicates, some far from their pair
    Rating again = ratings[static_cast<std::size_t>(k * 5)];
    again.value = static_cast<float>(k % 5) + 1.0F;
    again.time += k;
    ratings.push_back(again);
  }
  const auto path = dir.write("r.csv", to_csv(ratings, false));
  for (const auto policy : {DuplicatePolicy::kFirst, DuplicatePolicy::kLast, DuplicatePolicy::kMean,
                            DuplicatePolicy::kSum}) {
    LoadOptions options;
    options.duplicates = policy;
    options.keep_time = true;
    options.keep_lines = true;
    const auto whole = blocks_as_text(comm, load_ratings(comm, path, options));
    options.round_ratings = 300;  // four rounds
    const auto data = load_ratings(comm, path, options);
    EXPECT_EQ(blocks_as_text(comm, data), whole) << to_string(policy);
    EXPECT_EQ(data.report.duplicate_pairs, 150U);
    EXPECT_EQ(held(comm, data, false), held(comm, data, true));
  }
}

/// Every (user, item, rating) of `local` on all ranks, sorted.
std::vector<std::string> held(const dist::Comm& comm, const LocalRatings& local) {
  std::vector<std::string> mine;
  for (std::size_t k = 0; k < local.size(); ++k) {
    mine.push_back(fmt::format("{}|{}|{}", local.user_tokens[local.users[k]],
                               local.item_tokens[local.items[k]], local.values[k]));
  }
  auto all = dist::allgather_strings(comm, mine);
  std::ranges::sort(all);
  return all;
}

TEST(Loader, SetsReadWhereTheyLieFollowTheDuplicatesPolicy) {
  const auto comm = world();
  test::TempDir dir(comm);
  auto ratings = random_ratings(8, 500, 60, 40, false);
  // Repeat some pairs with other ratings, far apart in the file.
  for (std::size_t k = 0; k < 500; k += 37) {
    Rating again = ratings[k];
    again.value += 1.0F;
    ratings.push_back(again);
  }
  const auto path = dir.write("d.csv", to_csv(ratings, false));
  for (const auto policy : {DuplicatePolicy::kFirst, DuplicatePolicy::kLast, DuplicatePolicy::kMean,
                            DuplicatePolicy::kSum}) {
    for (const int threads : {1, 2}) {
      LoadOptions options;
      options.duplicates = policy;
      options.threads = threads;
      const auto local = read_ratings_here(comm, path, options);
      EXPECT_EQ(comm.allreduce<std::uint64_t>(local.size(), dist::Op::kSum), 500U);
      EXPECT_EQ(held(comm, local), held(comm, load_ratings(comm, path, options), true))
          << to_string(policy);
    }
  }
  const std::string message =
      test::collective_error([&] { (void)read_ratings_here(comm, path, LoadOptions{}); });
  EXPECT_NE(message.find(path + ": 14 (user, item) pairs are rated more than once: user " +
                         ratings[0].user + ", item " + ratings[0].item + " on lines 1 and 501"),
            std::string::npos)
      << message;
  // Without pairs_once every line stays (predict).
  LoadOptions lines;
  lines.pairs_once = false;
  EXPECT_EQ(
      comm.allreduce<std::uint64_t>(read_ratings_here(comm, path, lines).size(), dist::Op::kSum),
      514U);
}

TEST(Loader, BadLineIsOneErrorWithItsGlobalLineOnEveryRank) {
  const auto comm = world();
  test::TempDir dir(comm);
  auto ratings = random_ratings(5, 400, 50, 50, false);
  std::string text = to_csv(ratings, true);
  // Break the 300th rating: line 301 of the file.
  std::size_t at = 0;
  for (int line = 1; line < 301; ++line) at = text.find('\n', at) + 1;
  text.insert(at, "7,8,oops,1000\n");
  const auto path = dir.write("bad.csv", text);
  for (const int threads : {1, 2, 3}) {
    LoadOptions options;
    options.threads = threads;
    const std::string message =
        test::collective_error([&] { (void)load_ratings(comm, path, options); });
    EXPECT_NE(message.find(path + ":301: rating 'oops' is not a number: 7,8,oops,1000"),
              std::string::npos)
        << message << " (threads " << threads << ")";
  }

  LoadOptions skip;
  skip.threads = 2;
  skip.bad_lines = BadLinePolicy::kSkip;
  const auto data = load_ratings(comm, path, skip);
  EXPECT_EQ(data.report.bad_lines, 1U);
  ASSERT_EQ(data.report.bad_line_examples.size(), 1U);
  EXPECT_NE(data.report.bad_line_examples[0].find(":301:"), std::string::npos);
  EXPECT_EQ(held(comm, data, true), expected(ratings));
}

/// A MatrixMarket file of `entries` lines "u i v" whose size line declares
/// `declared` entries; comments and blank lines between them.
std::string matrix_market(int entries, int declared) {
  std::string text =
      fmt::format("%%MatrixMarket matrix coordinate real general\n% comment\n50 50 {}\n", declared);
  for (int k = 0; k < entries; ++k) {
    text += fmt::format("{} {} {}\n", 1 + k % 50, 1 + k / 50, 1 + k % 5);
    if (k % 7 == 0) text += k % 2 == 0 ? "% note\n" : "\n";
  }
  return text;
}

TEST(Loader, MatrixMarketEntriesMustMatchTheSizeLine) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto exact = dir.write("exact.mtx", matrix_market(300, 300));
  const auto fewer = dir.write("fewer.mtx", matrix_market(299, 300));
  const auto more = dir.write("more.mtx", matrix_market(301, 300));
  // Line of the 301st entry: 3 preamble lines, 301 entries, and one comment
  // or blank line after entries 0, 7, ..., 294 (43 of them).
  const std::uint64_t extra_line = 3 + 301 + 43;
  for (const int threads : {1, 2, 3}) {
    LoadOptions options;
    options.threads = threads;
    EXPECT_EQ(load_ratings(comm, exact, options).report.ratings, 300U);
    std::string message = test::collective_error([&] { (void)load_ratings(comm, fewer, options); });
    EXPECT_NE(message.find(fewer + ": the size line (line 3) declares 300 entries, but the file "
                                   "holds 299"),
              std::string::npos)
        << message << " (threads " << threads << ")";
    message = test::collective_error([&] { (void)load_ratings(comm, more, options); });
    EXPECT_NE(message.find(fmt::format("{}:{}: entry 301, beyond the 300 entries the size line "
                                       "(line 3) declares: 1 7 1",
                                       more, extra_line)),
              std::string::npos)
        << message << " (threads " << threads << ")";
    // A holdout keeps some entries only; all of them still count.
    LoadOptions some = options;
    some.keep = [](std::string_view user, std::string_view) { return user != "1"; };
    EXPECT_EQ(load_ratings(comm, exact, some).report.ratings, 294U);
    // The same rule for files read where they lie (eval, validation sets).
    message = test::collective_error([&] { (void)read_ratings_here(comm, fewer, options); });
    EXPECT_NE(message.find("declares 300 entries, but the file holds 299"), std::string::npos)
        << message;
  }
}

TEST(Loader, MatrixMarketBadIndexNamesItsLine) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto path = dir.write("zero.mtx",
                              "%%MatrixMarket matrix coordinate integer general\n3 3 3\n"
                              "1 1 4\n0 2 3\n2 2 5\n");
  std::string message =
      test::collective_error([&] { (void)load_ratings(comm, path, LoadOptions{}); });
  EXPECT_NE(message.find(path + ":4: row index 0 is outside 1..3, the size line's rows: 0 2 3"),
            std::string::npos)
      << message;
  const auto half = dir.write("half.mtx",
                              "%%MatrixMarket matrix coordinate integer general\n3 3 2\n"
                              "1 1 4\n2 2 3.5\n");
  message = test::collective_error([&] { (void)load_ratings(comm, half, LoadOptions{}); });
  EXPECT_NE(message.find(half + ":4: value 3.5 is not an integer"), std::string::npos) << message;
}

TEST(Loader, MissingAndEmptyFilesAreOneSentence) {
  const auto comm = world();
  test::TempDir dir(comm);
  const std::string missing = test::collective_error(
      [&] { (void)load_ratings(comm, dir.file("nope.csv"), LoadOptions{}); });
  EXPECT_NE(missing.find("nope.csv"), std::string::npos) << missing;
  const auto empty = dir.write("empty.csv", "");
  const std::string message =
      test::collective_error([&] { (void)load_ratings(comm, empty, LoadOptions{}); });
  EXPECT_NE(message.find("empty.csv"), std::string::npos) << message;
  const std::string directory =
      test::collective_error([&] { (void)load_ratings(comm, dir.path().string(), LoadOptions{}); });
  EXPECT_NE(directory.find("directory"), std::string::npos) << directory;
}

TEST(Loader, LookupFindsKnownTokensAndOnlyThem) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto ratings = random_ratings(6, 800, 90, 60, true);
  const auto data =
      load_ratings(comm,
                   dir.write("r.tsv",
                             [&] {
                               std::string t;
                               for (const auto& r : ratings)
                                 t += fmt::format("{}\t{}\t{}\n", r.user, r.item, r.value);
                               return t;
                             }()),
                   LoadOptions{});
  TokenTable queries;
  std::vector<std::string> asked;
  // Each rank asks about different users, known and unknown.
  for (std::size_t k = static_cast<std::size_t>(comm.rank()); k < ratings.size(); k += 37) {
    asked.push_back(ratings[k].user);
    asked.push_back("zz" + ratings[k].user);
  }
  for (const auto& a : asked) queries.push(a);
  const auto rows = data.users.lookup(comm, queries);
  const auto back = data.users.tokens_of(comm, [&] {
    std::vector<std::uint32_t> known;
    for (const auto r : rows)
      if (r != kUnknownRow) known.push_back(r);
    return known;
  }());
  std::size_t next = 0;
  for (std::size_t q = 0; q < asked.size(); ++q) {
    if (asked[q].starts_with("zz")) {
      EXPECT_EQ(rows[q], kUnknownRow) << asked[q];
    } else {
      ASSERT_NE(rows[q], kUnknownRow) << asked[q];
      EXPECT_EQ(back[next++], asked[q]);
    }
  }
}

// The read reports its progress: one thread of each rank, with fractions of
// its part that grow up to at most 1 (a progress line's input).
TEST(Loader, ReadingReportsGrowingFractionsOfItsPart) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const std::string path =
      dir.write("r.csv", to_csv(random_ratings(5, 100'000, 20'000, 5'000, false), false));
  std::vector<double> seen;
  LoadOptions options;  // one thread: the rank's range is the reporting part
  options.on_progress = [&seen](double fraction) { seen.push_back(fraction); };
  const auto data = load_ratings(comm, path, options);
  ASSERT_FALSE(seen.empty());
  EXPECT_GT(seen.front(), 0.0);
  EXPECT_LE(seen.back(), 1.0);
  EXPECT_TRUE(std::ranges::is_sorted(seen));
  // After each block read, the last one ending the part (a part starting
  // within a line skips that line's tail, a few bytes of its 500 KB or more).
  EXPECT_GE(seen.back(), 0.99);
  EXPECT_GT(data.report.ratings, 0U);
}

// The routing reports its rounds on every rank: fractions that grow to 1/2
// over the user side's rounds and to 1 over the item side's.
TEST(Loader, RoutingReportsGrowingFractionsOfItsRounds) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const std::string path =
      dir.write("r.csv", to_csv(random_ratings(6, 2'000, 300, 200, false), false));
  std::vector<double> seen;
  LoadOptions options;
  options.round_ratings = 100;  // a few rounds a side at 1-4 ranks
  options.on_route_progress = [&seen](double fraction) { seen.push_back(fraction); };
  const auto data = load_ratings(comm, path, options);
  ASSERT_GE(seen.size(), 4U);
  EXPECT_GT(seen.front(), 0.0);
  EXPECT_TRUE(std::ranges::is_sorted(seen));
  EXPECT_TRUE(std::ranges::find(seen, 0.5) != seen.end());  // the user side's last round
  EXPECT_EQ(seen.back(), 1.0);
  EXPECT_GT(data.report.ratings, 0U);
}

}  // namespace
}  // namespace dmf::data
