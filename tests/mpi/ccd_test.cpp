// The CCD++ solver against an independent reference written plainly here:
// one process, double precision, each coordinate of each row minimized in
// closed form from the full residual r − r̂ (no kept residuals). Run at 1-4
// ranks and 1-2 threads; also: the objective never rises from one
// coordinate to the next, the two kept copies of the residuals agree bit
// for bit, and ranks that own nothing take part.
#include "dmf/solvers/ccd/ccd.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/model/init.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers {
namespace {

using model::Biases;
using test::DenseModel;
using test::Triple;

struct Settings {
  Biases biases = Biases::kBoth;
  RegWeighting weighting = RegWeighting::kCount;
  double lambda_user = 0.3;
  double lambda_item = 0.1;
  int inner = 1;
};

/// One rating seen from a row: the other side's row and the rating.
struct Entry {
  Eigen::Index other;
  double value;
};

/// The reference: the model in double and the ratings of every row.
struct Reference {
  Settings s;
  DenseModel d;
  std::vector<std::vector<Entry>> by_user, by_item;

  Reference(const std::vector<Triple>& ratings, const Settings& settings, DenseModel model)
      : s(settings), d(std::move(model)) {
    by_user.resize(static_cast<std::size_t>(d.p.rows()));
    by_item.resize(static_cast<std::size_t>(d.q.rows()));
    for (const auto& t : ratings) {
      by_user[t.user].push_back({t.item, t.value});
      by_item[t.item].push_back({t.user, t.value});
    }
  }

  [[nodiscard]] double residual(Eigen::Index u, Eigen::Index i, double r) const {
    return r - d.mu - d.bu[u] - d.bi[i] - d.p.row(u).dot(d.q.row(i));
  }

  /// Every row of one side: its coordinate `t` (−1: its bias) set to the
  /// minimizer of L with everything else fixed.
  void minimize(bool users, int t) {
    const auto& rows = users ? by_user : by_item;
    const double lambda = users ? s.lambda_user : s.lambda_item;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const auto row = static_cast<Eigen::Index>(r);
      double numerator = 0.0;
      double denominator =
          lambda *
          (s.weighting == RegWeighting::kCount ? static_cast<double>(rows[r].size()) : 1.0);
      double& x = t < 0 ? (users ? d.bu[row] : d.bi[row]) : (users ? d.p(row, t) : d.q(row, t));
      for (const auto& e : rows[r]) {
        const Eigen::Index u = users ? row : e.other;
        const Eigen::Index i = users ? e.other : row;
        const double c = t < 0 ? 1.0 : (users ? d.q(i, t) : d.p(u, t));
        // The residual without this coordinate's own term.
        const double target = residual(u, i, e.value) + x * c;
        numerator += target * c;
        denominator += c * c;
      }
      x = denominator > 0 ? numerator / denominator : 0.0;
    }
  }

  void epoch() {
    const bool user_bias = model::has_user_bias(s.biases);
    const bool item_bias = model::has_item_bias(s.biases);
    if (user_bias || item_bias) {
      for (int pass = 0; pass < s.inner; ++pass) {
        if (user_bias) minimize(true, -1);
        if (item_bias) minimize(false, -1);
      }
    }
    for (int t = 0; t < d.k; ++t) {
      for (int pass = 0; pass < s.inner; ++pass) {
        minimize(true, t);
        minimize(false, t);
      }
    }
  }
};

struct Problem {
  dist::Comm comm = dist::Comm::world();
  test::TempDir dir{comm};
  data::RatingsData data;
  model::Model model;
  std::vector<Triple> ratings;

  Problem(const std::string& text, int k, Biases biases, double scale)
      : data(data::load_ratings(comm, dir.write("r.csv", text), data::LoadOptions{})),
        model(model::init_model(comm, data, k, biases, 3, scale)),
        ratings(test::gather_ratings(comm, data.by_user)) {}

  [[nodiscard]] CcdSolver solver(const Settings& s, int threads) {
    return CcdSolver(comm, data, model,
                     {{s.lambda_user, s.lambda_item, s.weighting}, threads, s.inner});
  }
};

void expect_model_near(const DenseModel& got, const DenseModel& want) {
  test::expect_near(got.p, want.p, 1e-4, "user factors");
  test::expect_near(got.q, want.q, 1e-4, "item factors");
  test::expect_near(got.bu, want.bu, 1e-4, "user biases");
  test::expect_near(got.bi, want.bi, 1e-4, "item biases");
}

class CcdReference
    : public testing::TestWithParam<std::tuple<Biases, RegWeighting, int /*threads*/, int>> {};

TEST_P(CcdReference, MatchesNaiveDoublePrecisionCoordinateDescent) {
  const auto [biases, weighting, threads, inner] = GetParam();
  const Settings s{biases, weighting, 0.3, 0.1, inner};
  Problem problem(test::random_ratings(40, 30, 0.4), 4, biases, 0.5);
  Reference want(problem.ratings, s, test::gather_model(problem.comm, problem.model));
  CcdSolver solver = problem.solver(s, threads);
  for (int epoch = 1; epoch <= 3; ++epoch) {
    const Objective after = solver.epoch();
    want.epoch();
    if (epoch == 2) continue;
    SCOPED_TRACE(testing::Message() << "epoch " << epoch);
    expect_model_near(test::gather_model(problem.comm, problem.model), want.d);
    const double objective = test::reference_objective(
        problem.ratings, {s.lambda_user, s.lambda_item, s.weighting}, want.d);
    EXPECT_NEAR(after.value(), objective, 1e-5 * objective);
    EXPECT_NEAR(solver.objective().value(), objective, 1e-5 * objective);
    EXPECT_EQ(after.ratings, problem.ratings.size());
  }
}

INSTANTIATE_TEST_SUITE_P(
    BiasesAndWeighting, CcdReference,
    testing::Combine(testing::Values(Biases::kNone, Biases::kUser, Biases::kItem, Biases::kBoth),
                     testing::Values(RegWeighting::kCount, RegWeighting::kUniform),
                     testing::Values(1), testing::Values(2)));
// Threads split rows, never a row's sums: two settings are enough.
INSTANTIATE_TEST_SUITE_P(TwoThreads, CcdReference,
                         testing::Values(std::tuple(Biases::kBoth, RegWeighting::kCount, 2, 1),
                                         std::tuple(Biases::kUser, RegWeighting::kUniform, 2, 3)));

TEST(Ccd, ObjectiveNeverRisesFromOneCoordinateToTheNext) {
  Problem problem(test::random_ratings(50, 35, 0.3), 6, Biases::kBoth, 1.0);
  CcdSolver solver = problem.solver({Biases::kBoth, RegWeighting::kCount, 0.05, 0.05, 2}, 2);
  double previous = solver.objective().value();
  const auto check = [&](const char* what, int epoch, int t) {
    const double now = solver.objective().value();
    // Each coordinate pass minimizes L exactly over its values, so L cannot
    // rise; the model and the residuals are floats, which may cost ~1e-7.
    EXPECT_LE(now, previous * (1.0 + 1e-6)) << what << " " << t << " of epoch " << epoch;
    previous = now;
  };
  for (int epoch = 0; epoch < 3; ++epoch) {
    solver.refresh_residuals();
    solver.update_biases();
    check("the biases", epoch, 0);
    for (int t = 0; t < problem.model.k; ++t) {
      solver.update_dimension(t);
      check("dimension", epoch, t);
    }
  }
}

/// Every rating's kept residual, by (user, item), from one side's block.
std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> residuals_by_rating(
    const dist::Comm& comm, const data::SparseBlock& block, std::span<const float> residuals,
    bool by_user) {
  data::SparseBlock copy = block;
  copy.values.assign(residuals.begin(), residuals.end());
  std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> out;
  for (const auto& t : test::gather_ratings(comm, copy)) {
    out.emplace_back(by_user ? t.user : t.item, by_user ? t.item : t.user, t.value);
  }
  std::ranges::sort(out);
  return out;
}

TEST(Ccd, KeptResidualCopiesAgreeBitForBitAndMatchTheModel) {
  Problem problem(test::random_ratings(50, 35, 0.3), 5, Biases::kBoth, 1.0);
  const Settings s{Biases::kBoth, RegWeighting::kUniform, 0.05, 0.05, 2};
  CcdSolver solver = problem.solver(s, 2);
  static_cast<void>(solver.epoch());
  // Mid-epoch: the biases and two dimensions moved since the refresh.
  solver.refresh_residuals();
  solver.update_biases();
  solver.update_dimension(0);
  solver.update_dimension(3);
  const auto by_user =
      residuals_by_rating(problem.comm, problem.data.by_user, solver.user_residuals(), true);
  const auto by_item =
      residuals_by_rating(problem.comm, problem.data.by_item, solver.item_residuals(), false);
  ASSERT_EQ(by_user.size(), problem.ratings.size());
  EXPECT_TRUE(by_user == by_item) << "the user block's and the item block's residuals differ";
  // And they are the model's residuals, up to float rounding.
  const DenseModel d = test::gather_model(problem.comm, problem.model);
  std::size_t k = 0;
  auto ratings = problem.ratings;
  std::ranges::sort(ratings, {}, [](const Triple& t) { return std::pair(t.user, t.item); });
  for (const auto& t : ratings) {
    const double want =
        t.value - d.mu - d.bu[t.user] - d.bi[t.item] - d.p.row(t.user).dot(d.q.row(t.item));
    EXPECT_NEAR(std::get<2>(by_user[k++]), want, 1e-5) << t.user << "," << t.item;
  }
  // The epoch's figure comes from the kept residuals, the objective's afresh.
  const double kept = problem.comm.allreduce<double>(solver.kept_squared_error(), dist::Op::kSum);
  const double fresh = solver.objective().squared_error;
  EXPECT_NEAR(kept, fresh, 1e-5 * fresh);
}

TEST(Ccd, ACoordinateMovesOnceBetweenRefreshes) {
  // Its starting values come from the rows fetched for the fresh residuals,
  // which a second update of the same coordinate would contradict.
  Problem problem(test::random_ratings(20, 15, 0.4), 3, Biases::kBoth, 0.5);
  CcdSolver solver = problem.solver({Biases::kBoth, RegWeighting::kCount, 0.1, 0.1, 1}, 1);
  solver.refresh_residuals();
  solver.update_dimension(1);
  EXPECT_THROW(solver.update_dimension(1), Error);
  solver.update_biases();
  EXPECT_THROW(solver.update_biases(), Error);
  solver.refresh_residuals();
  EXPECT_NO_THROW(solver.update_dimension(1));
}

TEST(Ccd, RanksThatOwnNothingTakePart) {
  // Two users and three items: at 3 or 4 ranks some own no user or item.
  Problem problem("1,1,3\n1,2,4\n2,3,5\n2,1,2\n", 2, Biases::kBoth, 0.5);
  const Settings s{Biases::kBoth, RegWeighting::kCount, 0.1, 0.1, 2};
  Reference want(problem.ratings, s, test::gather_model(problem.comm, problem.model));
  CcdSolver solver = problem.solver(s, 2);
  for (int epoch = 0; epoch < 3; ++epoch) {
    static_cast<void>(solver.epoch());
    want.epoch();
  }
  expect_model_near(test::gather_model(problem.comm, problem.model), want.d);
}

}  // namespace
}  // namespace dmf::solvers
