// Data set directories (data/dataset_dir.hpp) against the text they were
// converted from: the same blocks, IDs, owners and fingerprint on every
// rank, and damaged files refused naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "dmf/core/rng.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/fingerprint.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/data/split.hpp"
#include "dmf/dist/strings.hpp"
#include "dmf/io/npy.hpp"
#include "dmf/model/dir_writer.hpp"
#include "support/collective_error.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

namespace fs = std::filesystem;

dist::Comm world() { return dist::Comm::world(); }

/// A ratings file of distinct (user, item) pairs with skewed degrees and
/// times; string IDs with leading zeros, or integers.
std::string ratings_csv(std::uint64_t seed, int count, bool string_ids) {
  Rng rng(seed);
  std::set<std::pair<int, int>> seen;
  std::string out = "user,item,rating,time\n";
  while (static_cast<int>(seen.size()) < count) {
    const auto u = static_cast<int>(300 * rng.uniform() * rng.uniform());
    const auto i = static_cast<int>(200 * rng.uniform() * rng.uniform());
    if (!seen.emplace(u, i).second) continue;
    out += string_ids ? fmt::format("u{:03},{:07},", u, i * 7)
                      : fmt::format("{},{},", u + 1, i * 3 - 50);
    out += fmt::format("{},{}\n", static_cast<float>(1 + rng.below(10)) / 2.0F,
                       1000000 + rng.below(100000));
  }
  return out;
}

std::vector<std::string> tokens(const IdDirectory& ids) {
  std::vector<std::string> out;
  for (std::uint32_t r = 0; r < ids.local_rows(); ++r) out.emplace_back(ids.token(r));
  return out;
}

/// The same rows, owners and blocks on this rank.
void expect_same(const RatingsData& text, const RatingsData& binary) {
  for (const bool users : {true, false}) {
    const IdDirectory& a = users ? text.users : text.items;
    const IdDirectory& b = users ? binary.users : binary.items;
    EXPECT_EQ(a.ownership().boundaries(), b.ownership().boundaries());
    EXPECT_EQ(a.order().numeric(), b.order().numeric());
    EXPECT_EQ(tokens(a), tokens(b));
    const SparseBlock& x = users ? text.by_user : text.by_item;
    const SparseBlock& y = users ? binary.by_user : binary.by_item;
    EXPECT_EQ(x.first_row, y.first_row);
    EXPECT_EQ(x.offsets, y.offsets);
    EXPECT_EQ(x.columns, y.columns);
    EXPECT_EQ(x.values, y.values);
    EXPECT_EQ(x.times, y.times);
  }
}

/// Every rating of `local` as "user|item|value|time", from all ranks, sorted.
std::vector<std::string> held_here(const dist::Comm& comm, const LocalRatings& local) {
  std::vector<std::string> mine;
  for (std::size_t k = 0; k < local.size(); ++k) {
    mine.push_back(fmt::format("{}|{}|{}|{}", local.user_tokens[local.users[k]],
                               local.item_tokens[local.items[k]], local.values[k],
                               local.times.empty() ? 0 : local.times[k]));
  }
  auto all = dist::allgather_strings(comm, mine);
  std::ranges::sort(all);
  return all;
}

/// Rank 0 changes the file, then every rank goes on.
template <class F>
void on_root(const dist::Comm& comm, F&& change) {
  if (comm.is_root()) change();
  comm.barrier();
}

class DataSetRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(DataSetRoundTrip, LoadsTheBlocksOfTheText) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", ratings_csv(3, 2500, GetParam()));
  LoadOptions options;
  options.keep_time = true;
  const RatingsData text = load_ratings(comm, csv, options);
  const std::string set = dir.file("r.dmf");
  (void)write_data_set(comm, set, text, {{"path", csv}}, /*overwrite=*/false);
  ASSERT_TRUE(is_data_set_dir(comm, set));
  EXPECT_FALSE(is_data_set_dir(comm, csv));

  const RatingsData binary = load_ratings(comm, set, options);
  expect_same(text, binary);
  EXPECT_EQ(fingerprint(comm, text), fingerprint(comm, binary));
  EXPECT_EQ(binary.report.ratings, text.report.ratings);
  // Threads read the arrays and place the item side's ratings alike.
  LoadOptions threaded = options;
  threaded.threads = 3;
  expect_same(text, load_ratings(comm, set, threaded));

  // Without times, and read where they are (eval, validation sets).
  const RatingsData no_times = load_ratings(comm, set, LoadOptions{});
  EXPECT_TRUE(no_times.by_user.times.empty());
  EXPECT_EQ(no_times.by_item.columns, text.by_item.columns);
  EXPECT_EQ(held_here(comm, read_ratings_here(comm, set, options)),
            held_here(comm, read_ratings_here(comm, csv, options)));

  // --holdout's keep: the IDs the kept ratings use, re-indexed as the text load does.
  LoadOptions kept = options;
  const SplitOptions split{SplitMethod::kRandom, 0.3, 0.0, 7};
  kept.keep = [split](std::string_view user, std::string_view item) {
    return random_subset(split, user, item) != Subset::kTest;
  };
  const RatingsData text_kept = load_ratings(comm, csv, kept);
  const RatingsData binary_kept = load_ratings(comm, set, kept);
  expect_same(text_kept, binary_kept);
  EXPECT_LT(binary_kept.report.ratings, text.report.ratings);
  EXPECT_EQ(held_here(comm, read_ratings_here(comm, set, kept)),
            held_here(comm, read_ratings_here(comm, csv, kept)));
}

INSTANTIATE_TEST_SUITE_P(Ids, DataSetRoundTrip, ::testing::Values(false, true),
                         [](const auto& param) { return param.param ? "strings" : "integers"; });

/// Replaces `from` by `to` in the manifest of the data set `dir` (on rank 0)
/// and writes its checksum again, as if dmf had written it so.
void edit_manifest(const dist::Comm& comm, const std::string& dir, const std::string& from,
                   const std::string& to) {
  on_root(comm, [&] {
    const std::string path = (fs::path(dir) / "manifest.json").string();
    std::string manifest = test::read_file(path);
    const auto at = manifest.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) manifest.replace(at, from.size(), to);
    std::ofstream(path, std::ios::binary) << manifest;
    std::ofstream(fs::path(dir) / "manifest.xxh3", std::ios::binary)
        << model::manifest_checksum_line(manifest);
  });
}

// Format 2 holds the item side, read rather than built; format 1 (no
// item-major arrays) still loads through the old path. Pieces of 64 bytes
// put piece boundaries inside every rank's range, so each rank verifies
// pieces it reads only in part; pieces of 62 bytes cut entries in two, which
// the checks made as pieces arrive leave to their last pass.
TEST(DataSetFormat, EveryVersionLoadsTheBlocksOfTheText) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", ratings_csv(11, 1500, true));
  LoadOptions options;
  options.keep_time = true;
  const RatingsData text = load_ratings(comm, csv, options);
  struct Case {
    std::string name;
    DataSetLayout layout;
  };
  for (const Case& c : {Case{"v1.dmf", {1, 0}}, Case{"v2.dmf", {}}, Case{"small.dmf", {2, 64}},
                        Case{"cut.dmf", {2, 62}}}) {
    SCOPED_TRACE(c.name);
    const std::string set = dir.file(c.name);
    const auto manifest = write_data_set(comm, set, text, {}, false, c.layout);
    EXPECT_EQ(manifest["format_version"], c.layout.format_version);
    const bool item_major = c.layout.format_version >= 2;
    for (const char* file : {"item_users.npy", "item_values.npy", "item_times.npy"}) {
      EXPECT_EQ(fs::exists(fs::path(set) / file), item_major) << file;
    }
    EXPECT_EQ(manifest.contains("pieces"), item_major);
    if (item_major) {
      // 1 MiB pieces unless asked otherwise.
      const auto& values = manifest["pieces"]["values.npy"];
      EXPECT_EQ(values["bytes"], c.layout.piece_bytes == 0 ? 1U << 20U : c.layout.piece_bytes);
      if (c.layout.piece_bytes != 0) {
        EXPECT_GT(values["xxh3_64"].size(), 4U * 1500U / 64U);
      }
    }
    for (const int threads : {1, 3}) {
      LoadOptions threaded = options;
      threaded.threads = threads;
      expect_same(text, load_ratings(comm, set, threaded));
    }
    // Without times; with lines (dmf split), which format 2 does not store
    // for the item side: it is built as in format 1.
    LoadOptions lines;
    lines.keep_lines = true;
    const RatingsData with_lines = load_ratings(comm, set, lines);
    EXPECT_EQ(with_lines.by_item.columns, text.by_item.columns);
    EXPECT_EQ(with_lines.by_item.values, text.by_item.values);
    EXPECT_TRUE(with_lines.by_item.times.empty());
    EXPECT_EQ(with_lines.by_user.lines.size(), text.by_user.nnz());
    EXPECT_EQ(fingerprint(comm, text), fingerprint(comm, load_ratings(comm, set, LoadOptions{})));
  }
  // Any other version is refused, naming it.
  const std::string set = dir.file("v2.dmf");
  edit_manifest(comm, set, "\"format_version\": 2", "\"format_version\": 3");
  const auto message = test::collective_error([&] { (void)load_ratings(comm, set, options); });
  EXPECT_NE(message.find("format_version 3 is not one this dmf reads (1 to 2)"), std::string::npos)
      << message;
}

// A file so short that only rank 0 reads a line: the other ranks, holding
// no ratings and so no times, still join the routing of the times (they
// skipped it, and the ranks' collectives went out of step).
TEST(DataSet, TimesOfAFileMostRanksReadNothingOf) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", "1,2,3,100\n");
  LoadOptions options;
  options.keep_time = true;
  const RatingsData text = load_ratings(comm, csv, options);
  EXPECT_EQ(comm.allreduce<std::uint64_t>(text.by_item.times.size(), dist::Op::kSum), 1U);
  const std::string set = dir.file("r.dmf");
  (void)write_data_set(comm, set, text, {}, false);
  const RatingsData binary = load_ratings(comm, set, options);
  expect_same(text, binary);
}

TEST(DataSet, DuplicatesAreMergedAtConvertTime) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", "1,10,1\n2,10,4\n1,10,3\n2,20,5\n");
  LoadOptions mean;
  mean.duplicates = DuplicatePolicy::kMean;
  const RatingsData text = load_ratings(comm, csv, mean);
  const std::string set = dir.file("r.dmf");
  (void)write_data_set(comm, set, text, {}, false);
  const RatingsData binary = load_ratings(comm, set, LoadOptions{});
  EXPECT_EQ(binary.report.ratings, 3U);
  EXPECT_EQ(fingerprint(comm, text), fingerprint(comm, binary));
  // Text options were applied by convert: set again, they are refused.
  const auto message = test::collective_error([&] { (void)load_ratings(comm, set, mean); });
  EXPECT_NE(message.find("--duplicates"), std::string::npos) << message;
  EXPECT_NE(message.find(set), std::string::npos) << message;
}

TEST(DataSet, DamagedFilesAreRefusedByName) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", ratings_csv(5, 400, false));
  LoadOptions options;
  options.keep_time = true;
  const RatingsData text = load_ratings(comm, csv, options);
  const std::string set = dir.file("r.dmf");
  (void)write_data_set(comm, set, text, {}, false);
  const std::string copy = dir.file("copy.dmf");
  auto fresh = [&] {
    on_root(comm, [&] {
      fs::remove_all(copy);
      fs::copy(set, copy);
    });
  };
  auto refused = [&](std::string_view file) {
    const auto message =
        test::collective_error([&] { (void)load_ratings(comm, copy, LoadOptions{}); });
    EXPECT_NE(message.find((fs::path(copy) / file).string()), std::string::npos) << message;
  };

  fresh();  // one byte of an array changed
  on_root(comm, [&] {
    std::fstream f(fs::path(copy) / "columns.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  });
  refused("columns.npy");

  fresh();  // an array cut short
  on_root(comm, [&] { fs::resize_file(fs::path(copy) / "values.npy", 300); });
  refused("values.npy");

  fresh();  // the manifest edited
  on_root(comm, [&] {
    const std::string path = (fs::path(copy) / "manifest.json").string();
    std::string manifest = test::read_file(path);
    manifest.replace(manifest.find("\"ratings\": "), 11, "\"ratings\": 1");
    std::ofstream(path, std::ios::binary) << manifest;
  });
  refused("manifest.json");

  fresh();  // one byte of an item-major array changed
  on_root(comm, [&] {
    std::fstream f(fs::path(copy) / "item_values.npy",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  });
  refused("item_values.npy");

  fresh();  // an item-major array cut short
  on_root(comm, [&] { fs::resize_file(fs::path(copy) / "item_users.npy", 300); });
  refused("item_users.npy");

  fresh();  // an ID file changed
  on_root(comm, [&] { std::ofstream(fs::path(copy) / "item_ids.txt", std::ios::app) << "x\n"; });
  refused("item_ids.txt");

  // Pieces of 64 bytes: a byte changed anywhere is found by the rank whose
  // range holds its piece's start, whichever rank that is.
  const std::string pieces = dir.file("pieces.dmf");
  (void)write_data_set(comm, pieces, text, {}, false, DataSetLayout{2, 64});
  const auto size = fs::file_size(fs::path(pieces) / "item_users.npy");
  for (const std::uint64_t at : {std::uint64_t{130}, size / 2, size - 1}) {
    on_root(comm, [&] {
      fs::remove_all(copy);
      fs::copy(pieces, copy);
      std::fstream f(fs::path(copy) / "item_users.npy",
                     std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(at));
      const char c = static_cast<char>(f.get());
      f.seekp(static_cast<std::streamoff>(at));
      f.put(static_cast<char>(c ^ 1));
    });
    refused("item_users.npy");
  }

  // A directory with a manifest that is not a data set's (a model directory).
  on_root(comm, [&] {
    fs::create_directory(dir.file("model"));
    const std::string manifest = "{\"k\": 2}\n";
    std::ofstream(fs::path(dir.file("model")) / "manifest.json") << manifest;
    std::ofstream(fs::path(dir.file("model")) / "manifest.xxh3")
        << model::manifest_checksum_line(manifest);
  });
  const auto message =
      test::collective_error([&] { (void)load_ratings(comm, dir.file("model"), LoadOptions{}); });
  EXPECT_NE(message.find(dir.file("model") + " is not a dmf data set"), std::string::npos)
      << message;
}

TEST(DataSet, ItemCountsThatDisagreeWithTheColumnsAreRefusedByName) {
  // item_counts.npy moves one rating from an item to the next: the same
  // total, no empty row, valid checksums, yet one item row receives more
  // ratings than its count while the item block is built.
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", ratings_csv(5, 400, false));
  RatingsData text = load_ratings(comm, csv, LoadOptions{});
  if (comm.is_root()) {
    SparseBlock& items = text.by_item;
    std::uint32_t r = 0;
    while (r + 1 < items.rows() && items.degree(r) < 2) ++r;
    EXPECT_LT(r + 1, items.rows());  // no early return before the collectives
    if (r + 1 < items.rows()) --items.offsets[r + 1];
  }
  const std::string set = dir.file("r.dmf");
  (void)write_data_set(comm, set, text, {}, false);
  const auto message =
      test::collective_error([&] { (void)load_ratings(comm, set, LoadOptions{}); });
  EXPECT_NE(message.find((fs::path(set) / "item_counts.npy").string()), std::string::npos)
      << message;
  EXPECT_NE(message.find("differs from its ratings"), std::string::npos) << message;
}

// Item-major arrays that disagree with the user-major ones, with valid
// checksums: two users of an item swapped (not canonical order), or one
// user row changed in place (the pairs differ; found by the sums of each
// side's rows).
TEST(DataSet, ItemUsersThatDisagreeAreRefusedByName) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", ratings_csv(5, 400, false));
  for (const bool swap : {true, false}) {
    RatingsData text = load_ratings(comm, csv, LoadOptions{});
    if (comm.is_root()) {
      SparseBlock& items = text.by_item;
      // A row of two or more users, the first above row 0.
      std::uint32_t r = 0;
      while (r + 1 < items.rows() &&
             (items.degree(r) < 2 || items.columns[items.offsets[r]] == 0)) {
        ++r;
      }
      EXPECT_GE(items.degree(r), 2U);  // no early return before the collectives
      std::uint32_t* users = items.columns.data() + items.offsets[r];
      if (swap) {
        std::swap(users[0], users[1]);
      } else {
        --users[0];  // still ascending, another user
      }
    }
    const std::string set = dir.file(swap ? "swapped.dmf" : "changed.dmf");
    (void)write_data_set(comm, set, text, {}, false);
    const auto message =
        test::collective_error([&] { (void)load_ratings(comm, set, LoadOptions{}); });
    EXPECT_NE(message.find((fs::path(set) / "item_users.npy").string()), std::string::npos)
        << message;
    EXPECT_NE(message.find(swap ? "out of canonical order" : "does not hold the user rows"),
              std::string::npos)
        << message;
  }
}

// Two item rows of one user's ratings swapped before writing: valid
// checksums, counts that fit, but not canonical order; the message names the
// first rating out of order. The ratings are checked piece by piece as they
// arrive: the second of the pair swapped starts a piece of 64 bytes, or is
// cut in two by pieces of 62 bytes (checked in the last pass either way).
TEST(DataSet, ColumnsOutOfOrderAreRefusedNamingTheRating) {
  const auto comm = world();
  test::TempDir dir(comm);
  const auto csv = dir.write("r.csv", ratings_csv(5, 400, false));
  constexpr std::uint64_t kHeader = 128;  // bytes before the data; checked below
  for (const std::uint64_t piece_bytes : {64, 62}) {
    SCOPED_TRACE(piece_bytes);
    RatingsData text = load_ratings(comm, csv, LoadOptions{});
    // The first rating that is not its user's first and whose bytes a piece
    // boundary starts or cuts: it and the one before swap places. Rank 0's
    // ratings come first in the arrays.
    std::uint64_t swapped = 0;
    if (comm.is_root()) {
      SparseBlock& users = text.by_user;
      for (std::uint64_t k = 1; k < users.nnz() && swapped == 0; ++k) {
        const std::uint64_t at = kHeader + 4 * k;
        const bool boundary = at % piece_bytes == 0 || at / piece_bytes != (at + 3) / piece_bytes;
        if (boundary && !std::ranges::binary_search(users.offsets, k)) swapped = k;
      }
      EXPECT_NE(swapped, 0U);  // no early return before the collectives
      if (swapped != 0) std::swap(users.columns[swapped - 1], users.columns[swapped]);
    }
    swapped = comm.broadcast(swapped, 0);
    const std::string set = dir.file(fmt::format("r{}.dmf", piece_bytes));
    (void)write_data_set(comm, set, text, {}, false, DataSetLayout{2, piece_bytes});
    EXPECT_EQ(io::read_npy_header((fs::path(set) / "columns.npy").string()).data_offset, kHeader);
    LoadOptions threaded;
    threaded.threads = 2;
    const auto message = test::collective_error([&] { (void)load_ratings(comm, set, threaded); });
    EXPECT_NE(message.find((fs::path(set) / "columns.npy").string() +
                           fmt::format(": rating {} has item row", swapped)),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("out of canonical order"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace dmf::data
