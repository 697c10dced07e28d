// dmf generate under 1-4 ranks: the file is byte-identical to a serial
// reference formatted here from the model, for any ranks, threads and round
// size; it holds exactly N distinct pairs on the scale in user-then-time
// order; and its statistics are those of the hidden model.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <vector>

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

/// The file one process would write, line by line from the model itself,
/// formatted with fmt rather than the writer's code.
std::string reference(const GeneratorOptions& o, io::FormatKind kind) {
  const SyntheticModel model(o);
  std::string out;
  std::string_view sep = "\t";
  bool time = true;
  const bool implicit = o.feedback == GeneratedFeedback::kImplicit;
  switch (kind) {
    case io::FormatKind::kCsv:
      out = implicit ? "user,item,count,time\n" : "user,item,rating,time\n";
      sep = ",";
      break;
    case io::FormatKind::kTsv:
      out = implicit ? "user\titem\tcount\ttime\n" : "user\titem\trating\ttime\n";
      break;
    case io::FormatKind::kMovieLens:
      sep = "::";
      break;
    case io::FormatKind::kLibmf:
      sep = " ";
      time = false;
      break;
    case io::FormatKind::kMatrixMarket:
      out =
          implicit
              ? fmt::format(
                    "%%MatrixMarket matrix coordinate integer general\n% dmf generate: "
                    "implicit feedback (play counts), true rank {}, activity exponent {}, "
                    "popularity exponent {}, seed {}\n{} {} {}\n",
                    o.true_rank, o.skew, o.popularity_exponent, o.seed, o.users, o.items, o.ratings)
              : fmt::format(
                    "%%MatrixMarket matrix coordinate real general\n"
                    "% dmf generate: true rank {}, noise {}, skew {}, scale {}, seed {}\n{} {} "
                    "{}\n",
                    o.true_rank, o.noise, o.skew, format_value(o.scale), o.seed, o.users, o.items,
                    o.ratings);
      sep = " ";
      time = false;
      break;
    default:
      break;
  }
  for (std::uint64_t u = 0; u < o.users; ++u) {
    for (const auto& r : model.ratings_for(u)) {
      out += fmt::format("{}{}{}{}{}", u + 1, sep, r.item + 1, sep, r.value);
      if (time) out += fmt::format("{}{}", sep, r.time);
      out += '\n';
    }
  }
  return out;
}

GenerateOutput to(std::string path, int threads = 1, std::uint64_t per_round = 1U << 20U) {
  GenerateOutput output;
  output.path = std::move(path);
  output.threads = threads;
  output.ratings_per_round = per_round;
  return output;
}

TEST(Generator, SameBytesForAnyRanksThreadsAndRoundSize) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto o = small();
  const std::string expected = reference(o, io::FormatKind::kCsv);
  // 997 ratings per rank and round: many rounds, users split mid-file, so a
  // writer that puts rounds in the wrong order cannot pass.
  for (const std::uint64_t per_round : {std::uint64_t{997}, std::uint64_t{1} << 20U}) {
    for (const int threads : {1, 2, 3}) {
      const auto path = dir.file(fmt::format("r{}-t{}.csv", per_round, threads));
      const auto report = generate_ratings(comm, o, to(path, threads, per_round));
      EXPECT_EQ(report.ratings, o.ratings);
      EXPECT_EQ(report.bytes, expected.size());
      EXPECT_EQ(test::read_file(path) == expected, true)
          << "rounds of " << per_round << ", threads " << threads;
    }
  }
  const auto report = generate_ratings(comm, o, to(dir.file("rounds.csv"), 1, 997));
  EXPECT_GE(report.rounds, o.ratings / (997 * static_cast<std::uint64_t>(comm.size())));
}

TEST(Generator, ImplicitFeedbackIsTheSameBytesForAnyRanksAndThreads) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  auto o = small();
  o.feedback = GeneratedFeedback::kImplicit;
  o.ratings = 6000;  // rounds of 997 per rank: several rounds at 1-4 ranks
  o.skew = 0.3;
  o.popularity_exponent = 0.75;
  for (const auto& [name, kind] : {std::pair{"i.csv", io::FormatKind::kCsv},
                                   std::pair{"i.mtx", io::FormatKind::kMatrixMarket}}) {
    const std::string expected = reference(o, kind);
    for (const int threads : {1, 2}) {
      const auto path = dir.file(fmt::format("t{}-{}", threads, name));
      (void)generate_ratings(comm, o, to(path, threads, 997));
      EXPECT_TRUE(test::read_file(path) == expected) << name << ", threads " << threads;
    }
  }
}

TEST(Generator, EveryFormatMatchesItsReference) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  auto o = small();
  o.ratings = 5000;
  o.scale = {0.5, 5.0, 0.5};
  const std::vector<std::pair<std::string, io::FormatKind>> files{
      {"r.csv", io::FormatKind::kCsv},          {"r.tsv", io::FormatKind::kTsv},
      {"r.dat", io::FormatKind::kMovieLens},    {"u.data", io::FormatKind::kUData},
      {"r.mtx", io::FormatKind::kMatrixMarket}, {"r.libmf", io::FormatKind::kLibmf},
      {"r.txt", io::FormatKind::kCsv}};
  for (const auto& [name, kind] : files) {
    const auto report = generate_ratings(comm, o, to(dir.file(name), 2, 701));
    EXPECT_EQ(report.format, kind) << name;
    EXPECT_TRUE(test::read_file(dir.file(name)) == reference(o, kind)) << name;
  }
  // An explicit --format beats the extension.
  auto output = to(dir.file("forced.csv"), 1, 701);
  output.format = io::FormatKind::kMovieLens;
  (void)generate_ratings(comm, o, output);
  EXPECT_TRUE(test::read_file(output.path) == reference(o, io::FormatKind::kMovieLens));
}

struct Parsed {
  std::uint64_t user;
  std::uint64_t item;
  double value;
  std::int64_t time;
};

std::vector<Parsed> parse_csv(const std::string& text) {
  std::vector<Parsed> out;
  std::size_t at = text.find('\n') + 1;  // after the header
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::string_view line(text.data() + at, end - at);
    Parsed p{};
    const char* c = line.data();
    const char* const stop = line.data() + line.size();
    c = std::from_chars(c, stop, p.user).ptr + 1;
    c = std::from_chars(c, stop, p.item).ptr + 1;
    c = std::from_chars(c, stop, p.value).ptr + 1;
    c = std::from_chars(c, stop, p.time).ptr;
    EXPECT_EQ(c, stop) << line;
    out.push_back(p);
    at = end + 1;
  }
  return out;
}

TEST(Generator, FileHoldsExactlyNDistinctPairsOnTheScaleInUserThenTimeOrder) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  auto o = small();
  o.scale = {1.0, 10.0, 0.5};
  const SyntheticModel model(o);
  (void)generate_ratings(comm, o, to(dir.file("g.csv"), 2, 1500));
  const auto lines = parse_csv(test::read_file(dir.file("g.csv")));
  EXPECT_EQ(lines.size(), o.ratings);
  std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
  std::vector<std::uint64_t> per_user(o.users + 1, 0);
  Parsed last{0, 0, 0, 0};
  for (const auto& l : lines) {
    EXPECT_TRUE(l.user >= 1 && l.user <= o.users) << l.user;
    EXPECT_TRUE(l.item >= 1 && l.item <= o.items) << l.item;
    EXPECT_TRUE(pairs.emplace(l.user, l.item).second) << l.user << "," << l.item << " twice";
    EXPECT_GE(l.value, o.scale.min);
    EXPECT_LE(l.value, o.scale.max);
    EXPECT_EQ(l.value * 2, std::round(l.value * 2)) << l.value << " is off the 0.5 grid";
    EXPECT_GE(l.user, last.user) << "users out of order";
    if (l.user == last.user) {
      EXPECT_GT(l.time, last.time) << "times not increasing";
    }
    // Plausible: 2000-01-01 to 2010-01-01.
    EXPECT_TRUE(l.time >= 946684800 && l.time < 1262304000) << l.time;
    if (l.user <= o.users) ++per_user[l.user];
    last = l;
  }
  for (std::uint64_t u = 0; u < o.users; ++u) {
    EXPECT_GE(per_user[u + 1], 1U);
    EXPECT_EQ(per_user[u + 1], model.ratings_of(u)) << "user " << u + 1;
  }
}

/// Counts, distinctness and caps straight from the model, over edge shapes.
void expect_valid_layout(const GeneratorOptions& o) {
  SCOPED_TRACE(fmt::format("users {} items {} ratings {} skew {} popularity {}", o.users, o.items,
                           o.ratings, o.skew, o.popularity_exponent));
  const SyntheticModel model(o);
  std::uint64_t total = 0;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    const auto ratings = model.ratings_for(u);
    EXPECT_EQ(ratings.size(), model.ratings_of(u));
    EXPECT_GE(ratings.size(), min_ratings_per_user(o));
    EXPECT_LE(ratings.size(), o.items);
    std::set<std::uint64_t> items;
    for (const auto& r : ratings) {
      EXPECT_LT(r.item, o.items);
      EXPECT_TRUE(items.insert(r.item).second)
          << "user " << u << " rates item " << r.item << " twice";
    }
    total += ratings.size();
  }
  EXPECT_EQ(total, o.ratings);
}

TEST(Generator, ExactCountsForEdgeShapes) {
  GeneratorOptions o;
  o.users = 20;
  o.items = 15;
  o.ratings = 300;  // every pair: the exact sampler for everyone
  expect_valid_layout(o);
  o.ratings = 20;  // one each
  expect_valid_layout(o);
  o.items = 1;
  expect_valid_layout(o);
  o = small();
  o.skew = o.popularity_exponent = 0.0;  // uniform
  expect_valid_layout(o);
  // So skewed that rejection gives up and the exact sampler finishes.
  o.skew = o.popularity_exponent = 3.0;
  expect_valid_layout(o);
  o.users = 3;
  o.items = 5000;
  o.ratings = 3000;  // sparse users on a long catalogue
  expect_valid_layout(o);
}

/// The share of ratings held by the top 10% of items (or users).
double top_decile_share(std::vector<std::uint64_t> counts) {
  std::ranges::sort(counts, std::greater<>());
  const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), 0ULL));
  const auto top = std::accumulate(
      counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(counts.size() / 10), 0ULL);
  return static_cast<double>(top) / total;
}

std::vector<std::uint64_t> item_counts(const SyntheticModel& model) {
  std::vector<std::uint64_t> counts(model.options().items, 0);
  for (std::uint64_t u = 0; u < model.options().users; ++u) {
    for (const auto& r : model.ratings_for(u)) ++counts[r.item];
  }
  return counts;
}

TEST(Generator, PopularityAndActivityAreSkewedButNotByID) {
  const SyntheticModel model(small());
  const auto items = item_counts(model);
  EXPECT_GT(top_decile_share(items), 0.25);
  EXPECT_GT(top_decile_share(model.counts()), 0.25);
  // The popular items and heavy users are spread over the IDs (a seeded
  // permutation): the mean ID of the top tenth is near the middle.
  auto mean_top_id = [](const std::vector<std::uint64_t>& counts) {
    std::vector<std::uint64_t> ids(counts.size());
    std::iota(ids.begin(), ids.end(), 0ULL);
    std::ranges::stable_sort(ids, [&](auto a, auto b) { return counts[a] > counts[b]; });
    const std::size_t top = counts.size() / 10;
    return std::accumulate(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(top), 0.0) /
           static_cast<double>(top) / static_cast<double>(counts.size());
  };
  EXPECT_NEAR(mean_top_id(items), 0.5, 0.2);
  EXPECT_NEAR(mean_top_id(model.counts()), 0.5, 0.2);

  // Popularity exponent 0: no item stands out.
  auto o = small();
  o.popularity_exponent = 0.0;
  EXPECT_LT(top_decile_share(item_counts(SyntheticModel(o))), 0.13);
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

TEST(Generator, WithoutNoiseRatingsAreTheModelRoundedAndClipped) {
  auto o = small();
  o.noise = 0.0;
  const SyntheticModel model(o);
  std::uint64_t clipped = 0;
  for (std::uint64_t u = 0; u < o.users; ++u) {
    for (const auto& r : model.ratings_for(u)) {
      const double truth = model.true_rating(u, r.item);
      const double expected = std::clamp(std::round(truth), 1.0, 5.0);
      EXPECT_EQ(r.value, expected) << "user " << u << " item " << r.item << " truth " << truth;
      clipped += expected != std::round(truth) ? 1 : 0;
    }
  }
  EXPECT_GT(clipped, 0U) << "no rating reached the clip: the test does not test clipping";
}

TEST(Generator, MovieLensShapedByDefault) {
  const GeneratorOptions o;
  const SyntheticModel model(o);
  double sum = 0.0;
  std::uint64_t n = 0;
  for (std::uint64_t u = 0; u < o.users; u += 7) {
    for (const auto& r : model.ratings_for(u)) {
      sum += r.value;
      ++n;
    }
  }
  EXPECT_NEAR(sum / static_cast<double>(n), 3.55, 0.2);
  EXPECT_EQ(min_ratings_per_user(o), 20U);
  EXPECT_GE(*std::ranges::min_element(model.counts()), 20U);
  EXPECT_LE(*std::ranges::max_element(model.counts()), o.items);
}

TEST(Generator, ImpossibleRequestsNameTheOption) {
  auto expect_error = [](const GeneratorOptions& o, const std::string& text) {
    try {
      const SyntheticModel model(o);
      ADD_FAILURE() << "no error; expected one naming " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  auto o = small();
  o.ratings = o.users - 1;
  expect_error(o, "--ratings 499 is fewer than --users 500");
  o.ratings = o.users * o.items + 1;
  expect_error(o, "--ratings 150001 is more than the --users 500 x --items 300 distinct pairs");
  o.ratings = o.users * o.items;
  EXPECT_NO_THROW(SyntheticModel{o});
  o = small();
  o.true_rank = 0;
  expect_error(o, "--true-rank");
  o = small();
  o.noise = -1;
  expect_error(o, "--noise");
  o = small();
  o.skew = std::nan("");
  expect_error(o, "--skew");
  o = small();
  o.scale = {1.0, 5.0, 1.5};
  expect_error(o, "--scale: MAX - MIN = 4 must be a whole number of STEP 1.5");
  o = small();
  o.users = 0;
  expect_error(o, "--users");
}

TEST(Generator, RefusesAnExistingFileOnEveryRank) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto path = dir.write("taken.csv", "precious\n");
  // Every rank must throw (a collective error), or the others would hang.
  EXPECT_THROW((void)generate_ratings(comm, small(), to(path)), Error);
  EXPECT_EQ(test::read_file(path), "precious\n");
  auto output = to(path);
  output.overwrite = true;
  EXPECT_NO_THROW((void)generate_ratings(comm, small(), output));
  EXPECT_TRUE(test::read_file(path) == reference(small(), io::FormatKind::kCsv));
}

}  // namespace
}  // namespace dmf::data
