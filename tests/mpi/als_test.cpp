// The ALS solver against an independent reference written plainly here: one
// process, double precision, dense normal equations per row (Eigen LDLT),
// the objective of DESIGN.md §2 summed term by term. Run at 1-4 ranks and 1-2
// threads; the solver's rows must agree with it after 1 and 5 epochs.
#include "dmf/solvers/als.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include <Eigen/Dense>

#include "dmf/core/rng.hpp"
#include "dmf/model/init.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers {
namespace {

using model::Biases;

struct Triple {
  std::uint32_t user;
  std::uint32_t item;
  float value;
};

/// The whole model in global row order, gathered from every rank.
struct Dense {
  int k = 0;
  double mu = 0.0;
  Eigen::MatrixXd p, q;    // rows × k
  Eigen::VectorXd bu, bi;  // rows
};

Eigen::MatrixXd gather_rows(const dist::Comm& comm, const std::vector<float>& local, int k) {
  const auto all = comm.allgatherv<float>(local);
  Eigen::MatrixXd out(static_cast<Eigen::Index>(all.size()) / k, k);
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    for (Eigen::Index c = 0; c < k; ++c) out(r, c) = all[static_cast<std::size_t>(r * k + c)];
  }
  return out;
}

Dense gather(const dist::Comm& comm, const model::Model& m) {
  Dense d;
  d.k = m.k;
  d.mu = m.mu;
  d.p = gather_rows(comm, m.users.factors, m.k);
  d.q = gather_rows(comm, m.items.factors, m.k);
  d.bu = gather_rows(comm, m.users.bias, 1).col(0);
  d.bi = gather_rows(comm, m.items.bias, 1).col(0);
  return d;
}

std::vector<Triple> gather_ratings(const dist::Comm& comm, const data::SparseBlock& by_user) {
  std::vector<Triple> mine;
  for (std::uint32_t r = 0; r < by_user.rows(); ++r) {
    for (std::uint64_t k = by_user.offsets[r]; k < by_user.offsets[r + 1]; ++k) {
      mine.push_back({by_user.first_row + r, by_user.columns[k], by_user.values[k]});
    }
  }
  return comm.allgatherv<Triple>(mine);
}

struct Settings {
  Biases biases = Biases::kBoth;
  RegWeighting weighting = RegWeighting::kCount;
  double lambda_user = 0.3;
  double lambda_item = 0.1;
};

/// One reference half-sweep: every row of `rows` solved given `others`.
void reference_half(const std::vector<Triple>& ratings, bool by_user, const Settings& s,
                    double mu, Eigen::MatrixXd& rows, Eigen::VectorXd& bias, bool with_bias,
                    const Eigen::MatrixXd& others, const Eigen::VectorXd& other_bias) {
  const Eigen::Index k = rows.cols();
  const Eigen::Index dim = k + (with_bias ? 1 : 0);
  const double lambda = by_user ? s.lambda_user : s.lambda_item;
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(dim, dim);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(dim);
    double n = 0;
    for (const auto& t : ratings) {
      const Eigen::Index row = by_user ? t.user : t.item;
      const Eigen::Index other = by_user ? t.item : t.user;
      if (row != r) continue;
      Eigen::VectorXd x(dim);
      x.head(k) = others.row(other).transpose();
      if (with_bias) x[k] = 1.0;
      a += x * x.transpose();
      b += (t.value - mu - other_bias[other]) * x;
      n += 1;
    }
    const double w = s.weighting == RegWeighting::kCount ? n : 1.0;
    a.diagonal().array() += lambda * w;
    const Eigen::VectorXd x = a.ldlt().solve(b);
    rows.row(r) = x.head(k).transpose();
    bias[r] = with_bias ? x[k] : 0.0;
  }
}

double reference_objective(const std::vector<Triple>& ratings, const Settings& s, const Dense& d) {
  double sum = 0.0;
  std::map<std::uint32_t, double> nu, ni;
  for (const auto& t : ratings) {
    const double prediction = d.mu + d.bu[t.user] + d.bi[t.item] + d.p.row(t.user).dot(d.q.row(t.item));
    sum += (t.value - prediction) * (t.value - prediction);
    nu[t.user] += 1;
    ni[t.item] += 1;
  }
  const bool count = s.weighting == RegWeighting::kCount;
  for (Eigen::Index u = 0; u < d.p.rows(); ++u) {
    sum += s.lambda_user * (count ? nu[static_cast<std::uint32_t>(u)] : 1.0) *
           (d.p.row(u).squaredNorm() + d.bu[u] * d.bu[u]);
  }
  for (Eigen::Index i = 0; i < d.q.rows(); ++i) {
    sum += s.lambda_item * (count ? ni[static_cast<std::uint32_t>(i)] : 1.0) *
           (d.q.row(i).squaredNorm() + d.bi[i] * d.bi[i]);
  }
  return sum;
}

void expect_near(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want, double tolerance,
                 const char* what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
  EXPECT_LE((got - want).cwiseAbs().maxCoeff(), tolerance * scale) << what;
}

/// A random problem: `users` × `items`, each pair rated with probability
/// `density` on the 1..5 star scale, every user and item rated at least once.
std::string random_ratings(std::uint32_t users, std::uint32_t items, double density) {
  Rng rng(11);
  std::string text;
  for (std::uint32_t u = 0; u < users; ++u) {
    for (std::uint32_t i = 0; i < items; ++i) {
      if (rng.uniform() < density || i == u % items || u == i % users) {
        text += fmt::format("u{},{},{}\n", u, i + 100, 1 + rng.below(5));
      }
    }
  }
  return text;
}

class AlsReference : public testing::TestWithParam<std::tuple<Biases, RegWeighting, int>> {};

TEST_P(AlsReference, MatchesNaiveDoublePrecisionAls) {
  const auto comm = dist::Comm::world();
  const auto [biases, weighting, threads] = GetParam();
  const Settings s{biases, weighting, 0.3, 0.1};
  test::TempDir dir(comm);
  const auto data = data::load_ratings(
      comm, dir.write("r.csv", random_ratings(40, 30, 0.4)), data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 4, biases, 3, 0.5);
  const auto ratings = gather_ratings(comm, data.by_user);
  Dense want = gather(comm, model);
  double mean = 0.0;
  for (const auto& t : ratings) mean += t.value;
  mean /= static_cast<double>(ratings.size());
  EXPECT_NEAR(model.mu, mean, 1e-12);
  want.mu = mean;

  AlsSolver solver(comm, data, model, {{s.lambda_user, s.lambda_item, s.weighting}, threads});
  for (int epoch = 1; epoch <= 5; ++epoch) {
    const Objective after = solver.epoch();
    reference_half(ratings, true, s, want.mu, want.p, want.bu, model::has_user_bias(biases),
                   want.q, want.bi);
    reference_half(ratings, false, s, want.mu, want.q, want.bi, model::has_item_bias(biases),
                   want.p, want.bu);
    if (epoch != 1 && epoch != 5) continue;
    SCOPED_TRACE(testing::Message() << "epoch " << epoch);
    const Dense got = gather(comm, model);
    expect_near(got.p, want.p, 1e-4, "user factors");
    expect_near(got.q, want.q, 1e-4, "item factors");
    expect_near(got.bu, want.bu, 1e-4, "user biases");
    expect_near(got.bi, want.bi, 1e-4, "item biases");
    const double objective = reference_objective(ratings, s, want);
    EXPECT_NEAR(after.value(), objective, 1e-5 * objective);
    EXPECT_NEAR(solver.objective().value(), objective, 1e-5 * objective);
    EXPECT_EQ(after.ratings, ratings.size());
  }
}

INSTANTIATE_TEST_SUITE_P(
    BiasesAndWeighting, AlsReference,
    testing::Combine(testing::Values(Biases::kNone, Biases::kUser, Biases::kItem, Biases::kBoth),
                     testing::Values(RegWeighting::kCount, RegWeighting::kUniform),
                     testing::Values(1)));
// Threads split rows, never a row's arithmetic: two settings are enough.
INSTANTIATE_TEST_SUITE_P(TwoThreads, AlsReference,
                         testing::Values(std::tuple(Biases::kBoth, RegWeighting::kCount, 2),
                                         std::tuple(Biases::kNone, RegWeighting::kUniform, 2)));

TEST(Als, ObjectiveNeverIncreasesBetweenHalfSweeps) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(
      comm, dir.write("r.csv", random_ratings(50, 35, 0.3)), data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 6, Biases::kBoth, 9, 1.0);
  AlsSolver solver(comm, data, model, {{0.05, 0.05, RegWeighting::kCount}, 2});
  double previous = solver.objective().value();
  for (int half = 0; half < 16; ++half) {
    if (half % 2 == 0) {
      solver.solve_users();
    } else {
      static_cast<void>(solver.solve_items());
    }
    const double now = solver.objective().value();
    // Each half-sweep minimizes L exactly over its rows, so L cannot rise;
    // the factors are stored in float, which may cost ~1e-7 relative.
    EXPECT_LE(now, previous * (1.0 + 1e-6)) << "half-sweep " << half;
    previous = now;
  }
}

TEST(Als, ExactLowRankWithoutRegularizationIsReconstructed) {
  // A fully observed 8 × 6 matrix of rank 2 plus the mean: R − μ has rank
  // at most 3 = k, so unregularized ALS without biases fits it exactly.
  const auto comm = dist::Comm::world();
  std::string text;
  for (int u = 0; u < 8; ++u) {
    for (int i = 0; i < 6; ++i) {
      const double r = 3.0 + 0.5 * (u % 3 - 1) * (i % 2 ? 1.0 : -0.5) + 0.25 * (u % 2) * (i - 2.5);
      text += fmt::format("{},{},{}\n", u, i, r);
    }
  }
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", text), data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 3, Biases::kNone, 1, 1.0);
  AlsSolver solver(comm, data, model, {{0.0, 0.0, RegWeighting::kCount}, 1});
  Objective objective;
  for (int epoch = 0; epoch < 10; ++epoch) objective = solver.epoch();
  EXPECT_LT(objective.rmse(), 1e-4);
  EXPECT_LT(solver.objective().rmse(), 1e-4);
}

TEST(Als, RanksThatOwnNothingTakePart) {
  // Two users and three items: at 3 or 4 ranks some own no user or item.
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(
      comm, dir.write("r.csv", "1,1,3\n1,2,4\n2,3,5\n2,1,2\n"), data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 2, Biases::kBoth, 1, 0.5);
  const auto ratings = gather_ratings(comm, data.by_user);
  Dense want = gather(comm, model);
  AlsSolver solver(comm, data, model, {{0.1, 0.1, RegWeighting::kCount}, 1});
  const Settings s{Biases::kBoth, RegWeighting::kCount, 0.1, 0.1};
  for (int epoch = 0; epoch < 3; ++epoch) {
    static_cast<void>(solver.epoch());
    reference_half(ratings, true, s, want.mu, want.p, want.bu, true, want.q, want.bi);
    reference_half(ratings, false, s, want.mu, want.q, want.bi, true, want.p, want.bu);
  }
  const Dense got = gather(comm, model);
  expect_near(got.p, want.p, 1e-4, "user factors");
  expect_near(got.q, want.q, 1e-4, "item factors");
}

}  // namespace
}  // namespace dmf::solvers
