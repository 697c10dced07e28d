// dmf generate: the same bytes for any number of ranks and threads, exact
// counts, distinct pairs on the scale, and the hidden model recoverable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "dmf/data/generator.hpp"
#include "support/temp_dir.hpp"

namespace dmf::data {
namespace {

GeneratorOptions small() {
  GeneratorOptions o;
  o.users = 500;
  o.items = 300;
  o.ratings = 20000;
  o.seed = 9;
  return o;
}

/// The file a single process writes, line by line from the model itself.
std::string reference_csv(const GeneratorOptions& o) {
  const SyntheticModel model(o);
  std::string out = "user,item,rating,time\n";
  for (std::uint64_t u = 0; u < o.users; ++u) {
    for (const auto& r : model.ratings_for(u)) {
      out += fmt::format("{},{},{},{}\n", u + 1, r.item + 1, r.value, r.time);
    }
  }
  return out;
}

TEST(Generator, SameBytesForAnyRanksAndThreads) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto o = small();
  const std::string expected = reference_csv(o);
  for (const int threads : {1, 2}) {
    const auto path = dir.file(fmt::format("t{}.csv", threads));
    const auto report = generate_ratings(comm, o, path, io::FormatKind::kAuto, false, threads);
    EXPECT_EQ(report.ratings, o.ratings);
    EXPECT_EQ(report.bytes, expected.size());
    EXPECT_EQ(test::read_file(path), expected) << "threads " << threads;
  }
}

TEST(Generator, ExactCountsDistinctPairsOnTheScale) {
  const auto o = small();
  const SyntheticModel model(o);
  std::uint64_t total = 0;
  std::map<std::uint64_t, std::uint64_t> per_item;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    const auto ratings = model.ratings_for(u);
    ASSERT_EQ(ratings.size(), model.ratings_of(u));
    EXPECT_GE(ratings.size(), 1U);
    std::set<std::uint64_t> items;
    std::int64_t last_time = 0;
    for (const auto& r : ratings) {
      EXPECT_TRUE(items.insert(r.item).second) << "user " << u << " rates item " << r.item << " twice";
      EXPECT_LT(r.item, o.items);
      EXPECT_GE(r.value, o.scale.min);
      EXPECT_LE(r.value, o.scale.max);
      EXPECT_EQ(r.value, std::round(r.value)) << "not on the 1:5:1 grid";
      EXPECT_GE(r.time, last_time);
      last_time = r.time;
      ++per_item[r.item];
    }
    total += ratings.size();
  }
  EXPECT_EQ(total, o.ratings);
  // Skewed popularity: the top 10% of items hold far more than 10% of ratings.
  std::vector<std::uint64_t> counts;
  for (const auto& [item, n] : per_item) counts.push_back(n);
  std::ranges::sort(counts, std::greater<>());
  std::uint64_t top = 0;
  for (std::size_t k = 0; k < counts.size() / 10; ++k) top += counts[k];
  EXPECT_GT(static_cast<double>(top) / static_cast<double>(total), 0.25);
}

TEST(Generator, ContinuousRatingsScatterAroundTheModelByTheNoise) {
  auto o = small();
  o.scale = {-100.0, 100.0, 0.0};  // no rounding; clipped ratings are left out below
  o.noise = 0.3;
  const SyntheticModel model(o);
  double squares = 0.0;
  double sum = 0.0;
  std::uint64_t n = 0;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    for (const auto& r : model.ratings_for(u)) {
      if (r.value <= o.scale.min || r.value >= o.scale.max) continue;
      const double residual = r.value - model.true_rating(u, r.item);
      sum += residual;
      squares += residual * residual;
      ++n;
    }
  }
  EXPECT_GT(n, o.ratings * 9 / 10);
  EXPECT_NEAR(sum / static_cast<double>(n), 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(squares / static_cast<double>(n)), 0.3, 0.01);
}

TEST(Generator, DenseUsersAndTinyCatalogues) {
  // Every pair rated: users must take every item, exercising the exact sampler.
  GeneratorOptions o;
  o.users = 20;
  o.items = 15;
  o.ratings = 300;
  const SyntheticModel model(o);
  for (std::uint64_t u = 0; u < o.users; ++u) EXPECT_EQ(model.ratings_for(u).size(), 15U);
  o.ratings = 301;
  EXPECT_THROW(SyntheticModel{o}, Error);
  o.ratings = 19;
  EXPECT_THROW(SyntheticModel{o}, Error);
}

TEST(Generator, FormatsFollowTheExtension) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  GeneratorOptions o;
  o.users = 30;
  o.items = 20;
  o.ratings = 200;
  (void)generate_ratings(comm, o, dir.file("r.dat"), io::FormatKind::kAuto, false, 1);
  (void)generate_ratings(comm, o, dir.file("r.mtx"), io::FormatKind::kAuto, false, 1);
  const std::string dat = test::read_file(dir.file("r.dat"));
  EXPECT_NE(dat.find("::"), std::string::npos);
  const std::string mtx = test::read_file(dir.file("r.mtx"));
  EXPECT_TRUE(mtx.starts_with("%%MatrixMarket matrix coordinate real general\n"));
  EXPECT_NE(mtx.find("\n30 20 200\n"), std::string::npos);
}

}  // namespace
}  // namespace dmf::data
