// Plain single-process views of a distributed model and its ratings, for
// tests that compare a solver with a reference written out in double
// precision: every rating and every row gathered on every rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/objective.hpp"

namespace dmf::test {

/// One rating by global row numbers.
struct Triple {
  std::uint32_t user;
  std::uint32_t item;
  float value;
};

/// The whole model in global row order.
struct DenseModel {
  int k = 0;
  double mu = 0.0;
  Eigen::MatrixXd p, q;    // rows × k
  Eigen::VectorXd bu, bi;  // rows
};

/// Collective: every rank's rows of `model`, on every rank.
[[nodiscard]] DenseModel gather_model(const dist::Comm& comm, const model::Model& model);

/// Collective: every rating of the users' blocks, on every rank.
[[nodiscard]] std::vector<Triple> gather_ratings(const dist::Comm& comm,
                                                 const data::SparseBlock& by_user);

/// L of docs/design.md §2, term by term.
[[nodiscard]] double reference_objective(const std::vector<Triple>& ratings,
                                         const solvers::Regularization& reg, const DenseModel& d);

/// `users` × `items` ratings ("u<U>,<100+I>,stars"), each pair with
/// probability `density`, every user and item rated at least once.
[[nodiscard]] std::string random_ratings(std::uint32_t users, std::uint32_t items,
                                         double density);

/// Max |got − want| ≤ tolerance · max(1, max |want|).
void expect_near(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want, double tolerance,
                 const char* what);

}  // namespace dmf::test
