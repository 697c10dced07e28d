// dmf split against naive single-process references of each rule: the files
// are byte-identical for any number of ranks, and train + validation + test
// is the input.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/split.hpp"
#include "dmf/data/split_writer.hpp"
#include "dmf/data/token_table.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

struct Line {
  std::string user;
  std::string item;
  std::int64_t time = 0;
  std::string text;  // the line as written
};

/// Users with 1 to ~40 ratings, string or integer IDs, some equal times.
std::vector<Line> random_lines(std::uint64_t seed, int users, bool string_ids) {
  Rng rng(seed);
  std::vector<Line> out;
  for (int u = 0; u < users; ++u) {
    const int n = 1 + static_cast<int>(rng.below(rng.below(4) == 0 ? 40 : 4));
    std::set<int> items;
    while (static_cast<int>(items.size()) < n) items.insert(static_cast<int>(rng.below(300)));
    for (const int i : items) {
      Line l;
      l.user = string_ids ? fmt::format("user{:04}", u) : std::to_string(u * 5 + 1);
      l.item = string_ids ? fmt::format("0{:05}", i) : std::to_string(i + 1);
      l.time = 1'000'000 + static_cast<std::int64_t>(rng.below(50));
      l.text = fmt::format("{}\t{}\t{}\t{}", l.user, l.item, 1 + rng.below(5), l.time);
      out.push_back(l);
    }
  }
  // Shuffle so that a user's ratings are spread over every rank's range.
  for (std::size_t k = out.size(); k > 1; --k) std::swap(out[k - 1], out[rng.below(k)]);
  return out;
}

/// The naive reference of each rule, subset per line.
std::vector<Subset> reference(const std::vector<Line>& lines, const SplitOptions& options) {
  std::vector<Subset> subset(lines.size(), Subset::kTrain);
  if (options.method == SplitMethod::kRandom) {
    for (std::size_t k = 0; k < lines.size(); ++k) {
      subset[k] = random_subset(options, lines[k].user, lines[k].item);
    }
    return subset;
  }
  // The canonical item order, for the per-user ranking of kUser.
  std::vector<std::string> items;
  bool numeric = true;
  for (const auto& l : lines) {
    items.push_back(l.item);
    numeric = numeric && is_canonical_integer(l.item);
  }
  std::ranges::sort(items, TokenOrder(numeric));
  items.erase(std::unique(items.begin(), items.end()), items.end());
  std::map<std::string, std::vector<std::size_t>> by_user;
  for (std::size_t k = 0; k < lines.size(); ++k) by_user[lines[k].user].push_back(k);
  for (auto& [user, ks] : by_user) {
    const HeldOut held = held_out_counts(options, user, ks.size());
    if (options.method == SplitMethod::kTime) {
      std::ranges::stable_sort(ks, {}, [&](std::size_t k) { return lines[k].time; });
    } else {
      const std::uint64_t key = combine(options.seed, 0x5eed'0003, hash_bytes(user));
      std::ranges::sort(ks, {}, [&](std::size_t k) {
        const auto row = std::ranges::lower_bound(items, lines[k].item, TokenOrder(numeric)) - items.begin();
        return combine(key, static_cast<std::uint64_t>(row));
      });
    }
    const std::size_t n = ks.size();
    for (std::size_t j = 0; j < held.test; ++j) subset[ks[n - 1 - j]] = Subset::kTest;
    for (std::size_t j = 0; j < held.validation; ++j) subset[ks[n - 1 - held.test - j]] = Subset::kValidation;
  }
  return subset;
}

class Split : public ::testing::TestWithParam<SplitMethod> {};

TEST_P(Split, FilesMatchTheNaiveReferenceOnAnyRanks) {
  const auto comm = dist::Comm::world();
  for (const bool string_ids : {false, true}) {
    test::TempDir dir(comm);
    const auto lines = random_lines(string_ids ? 7 : 8, 300, string_ids);
    std::string input;
    for (const auto& l : lines) input += l.text + "\n";
    const auto path = dir.write("u.data", input);
    SplitOptions options;
    options.method = GetParam();
    options.test_ratio = 0.2;
    options.validation_ratio = 0.1;
    options.seed = 42;
    LoadOptions load;
    load.keep_lines = true;
    load.keep_time = true;
    const auto data = load_ratings(comm, path, load);
    const auto decisions = assign_subsets(comm, data, options);
    const std::array<std::string, 3> paths{dir.file("s.train"), dir.file("s.validation"),
                                           dir.file("s.test")};
    const SubsetCounts counts = write_split(comm, data, load, decisions, options, paths, false);

    const auto want = reference(lines, options);
    std::array<std::string, 3> expected;
    SubsetCounts expected_counts{};
    for (std::size_t k = 0; k < lines.size(); ++k) {
      const auto s = static_cast<std::size_t>(want[k]);
      expected[s] += lines[k].text + "\n";
      ++expected_counts[s];
    }
    EXPECT_EQ(counts, expected_counts);
    for (std::size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(test::read_file(paths[s]), expected[s]) << paths[s] << " string ids " << string_ids;
    }
    const double total = static_cast<double>(lines.size());
    EXPECT_NEAR(static_cast<double>(counts[2]) / total, 0.2, 0.06) << "test fraction";
    EXPECT_NEAR(static_cast<double>(counts[1]) / total, 0.1, 0.05) << "validation fraction";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, Split,
                         ::testing::Values(SplitMethod::kRandom, SplitMethod::kUser, SplitMethod::kTime),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(SplitRules, UserWithOneRatingStaysInTrain) {
  SplitOptions options;
  options.test_ratio = 0.9;
  options.validation_ratio = 0.05;
  for (int seed = 0; seed < 50; ++seed) {
    options.seed = static_cast<std::uint64_t>(seed);
    const HeldOut one = held_out_counts(options, "u", 1);
    EXPECT_EQ(one.test + one.validation, 0U);
    const HeldOut two = held_out_counts(options, "u", 2);
    EXPECT_LE(two.test + two.validation, 1U);
  }
}

TEST(SplitRules, RandomizedRoundingHitsTheExpectedFraction) {
  SplitOptions options;
  options.test_ratio = 0.25;
  std::uint64_t held = 0;
  constexpr int kUsers = 20000;
  for (int u = 0; u < kUsers; ++u) held += held_out_counts(options, std::to_string(u), 3).test;
  EXPECT_NEAR(static_cast<double>(held) / (3.0 * kUsers), 0.25, 0.01);
}

TEST(SplitWriter, MatrixMarketSizeLinesCountEachFile) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  std::string input = "%%MatrixMarket matrix coordinate real general\n% a comment\n40 30 0\n";
  int entries = 0;
  for (int u = 1; u <= 40; ++u) {
    for (int i = 1; i <= 30; i += 1 + u % 4) {
      input += fmt::format("{} {} {}.5\n", u, i, (u + i) % 5);
      ++entries;
    }
  }
  // Put the true count in the size line.
  input.replace(input.find("40 30 0"), 7, fmt::format("40 30 {}", entries));
  const auto path = dir.write("m.mtx", input);
  SplitOptions options;
  options.test_ratio = 0.3;
  LoadOptions load;
  load.keep_lines = true;
  const auto data = load_ratings(comm, path, load);
  const auto decisions = assign_subsets(comm, data, options);
  const std::array<std::string, 3> paths{dir.file("m.train"), "", dir.file("m.test")};
  const auto counts = write_split(comm, data, load, decisions, options, paths, false);
  EXPECT_EQ(counts[0] + counts[2], static_cast<std::uint64_t>(entries));
  EXPECT_EQ(counts[1], 0U);
  for (const std::size_t s : {0UL, 2UL}) {
    const std::string text = test::read_file(paths[s]);
    EXPECT_TRUE(text.starts_with(fmt::format(
        "%%MatrixMarket matrix coordinate real general\n% a comment\n40 30 {}\n", counts[s])))
        << text.substr(0, 100);
    // The split file loads back with its own count.
    const auto back = load_ratings(comm, paths[s], LoadOptions{});
    EXPECT_EQ(back.report.ratings, counts[s]);
  }
}

TEST(SplitWriter, RefusesToOverwrite) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto path = dir.write("r.csv", "1,2,3\n2,3,4\n3,4,5\n");
  const auto existing = dir.write("s.test", "precious\n");
  LoadOptions load;
  load.keep_lines = true;
  const auto data = load_ratings(comm, path, load);
  const SplitOptions options;
  const auto decisions = assign_subsets(comm, data, options);
  const std::array<std::string, 3> paths{dir.file("s.train"), "", existing};
  try {
    (void)write_split(comm, data, load, decisions, options, paths, false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("already exists; pass --overwrite"), std::string::npos) << e.what();
  }
  comm.barrier();
  EXPECT_EQ(test::read_file(existing), "precious\n");
}

}  // namespace
}  // namespace dmf::data
