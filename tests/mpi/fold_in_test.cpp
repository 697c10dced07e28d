// Fold-in (eval/fold_in): a user of the model folded in from its own
// training rows gets the row one more ALS user half-sweep gives it, for
// explicit and implicit feedback; a new user's row minimizes the objective
// (a plain double-precision solve of its normal equations, written here);
// the model manifest's objective is read with defaults for what it does not
// record. At 1-4 ranks.
#include "dmf/eval/fold_in.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "dmf/model/init.hpp"
#include "dmf/solvers/als/als.hpp"
#include "dmf/solvers/ials/ials.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::eval {
namespace {

using model::Biases;

/// Each rank's own users' training rows.
std::vector<FoldInRow> own_rows(const data::SparseBlock& by_user) {
  std::vector<FoldInRow> rows(by_user.rows());
  for (std::uint32_t r = 0; r < by_user.rows(); ++r) {
    for (std::uint64_t k = by_user.offsets[r]; k < by_user.offsets[r + 1]; ++k) {
      rows[r].items.push_back(by_user.columns[k]);
      rows[r].values.push_back(by_user.values[k]);
    }
  }
  return rows;
}

class FoldInHalfSweep : public testing::TestWithParam<std::tuple<Biases, solvers::RegWeighting>> {};

TEST_P(FoldInHalfSweep, AUserOfTheModelGetsTheRowOfOneMoreUserHalfSweep) {
  const auto comm = dist::Comm::world();
  const auto [biases, weighting] = GetParam();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(40, 30, 0.4)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 4, biases, 3, 0.5);
  solvers::AlsSolver solver(comm, data, model,
                            {{0.3, 0.1, weighting}, 2, solvers::AlsSolve::kCholesky});
  static_cast<void>(solver.epoch());
  static_cast<void>(solver.epoch());
  const model::Model before = model;
  solver.solve_users();  // the items stay as they were

  const model::ModelObjective objective{model::Feedback::kExplicit, 0.3,
                                        weighting == solvers::RegWeighting::kCount, true};
  const model::FactorBlock folded =
      fold_in(comm, before, own_rows(data.by_user), objective, /*threads=*/2);
  ASSERT_EQ(folded.rows, model.users.rows);
  // The same kernel over the same ratings in the same order: the same bits.
  EXPECT_EQ(folded.factors, model.users.factors);
  EXPECT_EQ(folded.bias, model.users.bias);
}

INSTANTIATE_TEST_SUITE_P(BiasesAndWeighting, FoldInHalfSweep,
                         testing::Values(std::tuple(Biases::kBoth, solvers::RegWeighting::kCount),
                                         std::tuple(Biases::kItem, solvers::RegWeighting::kUniform),
                                         std::tuple(Biases::kUser, solvers::RegWeighting::kCount)));

TEST(FoldIn, ANewUserMinimizesTheObjective) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(20, 25, 0.5)),
                                       data::LoadOptions{});
  const model::Model model = model::init_model(comm, data, 3, Biases::kBoth, 5, 1.0);
  const test::DenseModel whole = test::gather_model(comm, model);
  // A new user on each rank (another on rank 0, and one rating nothing).
  std::vector<FoldInRow> rows(comm.is_root() ? 3 : 1);
  for (std::uint32_t i = static_cast<std::uint32_t>(comm.rank()) % 3; i < 25; i += 3) {
    rows[0].items.push_back(i);
    rows[0].values.push_back(static_cast<float>(1 + (i * 7 + comm.rank()) % 5));
  }
  if (comm.is_root()) rows[1] = {{0, 24}, {5.0F, 1.0F}};  // fewer ratings than unknowns
  const double lambda = 0.2;
  const model::FactorBlock folded =
      fold_in(comm, model, rows, {model::Feedback::kExplicit, lambda, true, true}, 1);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    // min Σ (r − μ − b_i − b_u − p·q_i)² + λ n (‖p‖² + b_u²) over x = [p; b_u].
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(4, 4);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(4);
    for (std::size_t j = 0; j < rows[r].items.size(); ++j) {
      const std::uint32_t i = rows[r].items[j];
      Eigen::VectorXd z(4);
      z << whole.q.row(i).transpose(), 1.0;
      a += z * z.transpose();
      b += (rows[r].values[j] - whole.mu - whole.bi[i]) * z;
    }
    a.diagonal().array() += lambda * static_cast<double>(rows[r].items.size());
    const Eigen::VectorXd want =
        rows[r].items.empty() ? Eigen::VectorXd::Zero(4) : Eigen::VectorXd(a.ldlt().solve(b));
    for (int f = 0; f < 3; ++f) {
      EXPECT_NEAR(folded.row(static_cast<std::uint32_t>(r))[static_cast<std::size_t>(f)], want[f],
                  1e-5)
          << "row " << r << " factor " << f;
    }
    EXPECT_NEAR(folded.bias[r], want[3], 1e-5) << "row " << r;
  }
}

/// The manifest's view of an implicit model trained with `options`.
model::ModelObjective implicit_objective(const solvers::IalsOptions& options) {
  model::ModelObjective objective;
  objective.feedback = model::Feedback::kImplicit;
  objective.lambda_user = options.regularization.lambda_user;
  objective.count_weighting = options.regularization.weighting == solvers::RegWeighting::kCount;
  objective.recorded = true;
  objective.alpha = options.confidence.alpha;
  objective.log_confidence = options.confidence.scale == solvers::ConfidenceScale::kLog;
  objective.confidence_epsilon = options.confidence.epsilon;
  return objective;
}

class FoldInImplicitHalfSweep
    : public testing::TestWithParam<std::tuple<solvers::ConfidenceScale, solvers::RegWeighting>> {};

TEST_P(FoldInImplicitHalfSweep, AUserOfTheModelGetsTheRowOfOneMoreUserHalfSweep) {
  const auto comm = dist::Comm::world();
  const auto [scale, weighting] = GetParam();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(40, 30, 0.4)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 4, Biases::kNone, 3, 0.5);
  model.mu = 0.0;  // an implicit model has no μ
  const solvers::IalsOptions options{
      {0.3, 0.1, weighting}, 2, solvers::AlsSolve::kCholesky, 3, {2.0, scale, 0.5}};
  solvers::IalsSolver solver(comm, data, model, options);
  static_cast<void>(solver.epoch());
  static_cast<void>(solver.epoch());
  const model::Model before = model;
  solver.solve_users();  // the items stay as they were

  const model::FactorBlock folded =
      fold_in(comm, before, own_rows(data.by_user), implicit_objective(options), /*threads=*/3);
  ASSERT_EQ(folded.rows, model.users.rows);
  // The same kernel over the same observations in the same order and the
  // same Gram matrix (exact: the same bits for any threads): the same bits.
  EXPECT_EQ(folded.factors, model.users.factors);
  EXPECT_EQ(folded.bias, model.users.bias);
}

INSTANTIATE_TEST_SUITE_P(
    ScaleAndWeighting, FoldInImplicitHalfSweep,
    testing::Values(std::tuple(solvers::ConfidenceScale::kLinear, solvers::RegWeighting::kCount),
                    std::tuple(solvers::ConfidenceScale::kLog, solvers::RegWeighting::kUniform)));

TEST(FoldIn, ANewUserOfAnImplicitModelMinimizesItsObjective) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", test::random_ratings(20, 25, 0.5)),
                                       data::LoadOptions{});
  model::Model model = model::init_model(comm, data, 3, Biases::kNone, 5, 1.0);
  model.mu = 0.0;
  const test::DenseModel whole = test::gather_model(comm, model);
  std::vector<FoldInRow> rows(comm.is_root() ? 3 : 1);
  for (std::uint32_t i = static_cast<std::uint32_t>(comm.rank()) % 3; i < 25; i += 3) {
    rows[0].items.push_back(i);
    rows[0].values.push_back(static_cast<float>(1 + (i * 7 + comm.rank()) % 5));
  }
  // A dislike (preference 0, confidence of its magnitude), and a user with
  // no observations.
  if (comm.is_root()) rows[1] = {{0, 24}, {5.0F, -2.0F}};
  solvers::IalsOptions options;
  options.regularization = {0.2, 0.2, solvers::RegWeighting::kCount};
  options.confidence = {1.5, solvers::ConfidenceScale::kLinear, 1.0};
  const model::FactorBlock folded = fold_in(comm, model, rows, implicit_objective(options), 2);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    // (QᵀQ + Σ_obs (c − 1) q qᵀ + λ n I) x = Σ_obs c p q over all 25 items.
    Eigen::MatrixXd a = whole.q.transpose() * whole.q;
    Eigen::VectorXd b = Eigen::VectorXd::Zero(3);
    for (std::size_t j = 0; j < rows[r].items.size(); ++j) {
      const Eigen::VectorXd y = whole.q.row(rows[r].items[j]).transpose();
      const double value = rows[r].values[j];
      const double c = 1.0 + 1.5 * std::abs(value);
      a += (c - 1.0) * y * y.transpose();
      b += c * (value > 0.0 ? 1.0 : 0.0) * y;
    }
    a.diagonal().array() += 0.2 * static_cast<double>(rows[r].items.size());
    const Eigen::VectorXd want = a.ldlt().solve(b);
    for (int f = 0; f < 3; ++f) {
      EXPECT_NEAR(folded.row(static_cast<std::uint32_t>(r))[static_cast<std::size_t>(f)], want[f],
                  1e-5)
          << "row " << r << " factor " << f;
    }
    EXPECT_EQ(folded.bias[r], 0.0F) << "row " << r;
  }
}

TEST(ModelObjective, ReadFromTheRunOptionsWithDefaultsForOldModels) {
  const auto old = model::model_objective(nlohmann::json{{"k", 2}}, "m");
  EXPECT_EQ(old.feedback, model::Feedback::kExplicit);
  EXPECT_EQ(old.lambda_user, 0.05);
  EXPECT_TRUE(old.count_weighting);
  EXPECT_FALSE(old.recorded);

  const auto both = model::model_objective(
      nlohmann::json{
          {"run_options", {{"lambda", "0.25"}, {"lambda-user", ""}, {"reg-weighting", "uniform"}}}},
      "m");
  EXPECT_EQ(both.lambda_user, 0.25);
  EXPECT_FALSE(both.count_weighting);
  EXPECT_TRUE(both.recorded);
  const auto user = model::model_objective(
      nlohmann::json{{"feedback", "implicit"},
                     {"run_options", {{"lambda", "0.25"}, {"lambda-user", "0.5"}}}},
      "m");
  EXPECT_EQ(user.lambda_user, 0.5);
  EXPECT_EQ(user.feedback, model::Feedback::kImplicit);
  EXPECT_EQ(user.alpha, 1.0);  // dmf train's confidence defaults
  EXPECT_FALSE(user.log_confidence);
  EXPECT_EQ(user.confidence_epsilon, 1.0);
  const auto log = model::model_objective(
      nlohmann::json{{"feedback", "implicit"},
                     {"run_options",
                      {{"alpha", "40"}, {"confidence", "log"}, {"confidence-epsilon", "0.01"}}}},
      "m");
  EXPECT_EQ(log.alpha, 40.0);
  EXPECT_TRUE(log.log_confidence);
  EXPECT_EQ(log.confidence_epsilon, 0.01);
  for (const auto& [name, bad] : {std::pair("alpha", "-1"), std::pair("confidence", "cubic"),
                                  std::pair("confidence-epsilon", "0")}) {
    EXPECT_THROW(static_cast<void>(
                     model::model_objective(nlohmann::json{{"run_options", {{name, bad}}}}, "m")),
                 Error)
        << name;
  }

  EXPECT_THROW(static_cast<void>(model::model_objective(
                   nlohmann::json{{"run_options", {{"lambda", "much"}}}}, "m")),
               Error);
  EXPECT_THROW(
      static_cast<void>(model::model_objective(nlohmann::json{{"feedback", "clicks"}}, "m")),
      Error);
}

}  // namespace
}  // namespace dmf::eval
