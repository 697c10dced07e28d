#include "support/reference_model.hpp"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "dmf/core/rng.hpp"

namespace dmf::test {
namespace {

Eigen::MatrixXd gather_rows(const dist::Comm& comm, const std::vector<float>& local, int k) {
  const auto all = comm.allgatherv<float>(local);
  Eigen::MatrixXd out(static_cast<Eigen::Index>(all.size()) / k, k);
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    for (Eigen::Index c = 0; c < k; ++c) out(r, c) = all[static_cast<std::size_t>(r * k + c)];
  }
  return out;
}

}  // namespace

DenseModel gather_model(const dist::Comm& comm, const model::Model& m) {
  DenseModel d;
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

double reference_objective(const std::vector<Triple>& ratings, const solvers::Regularization& reg,
                           const DenseModel& d) {
  double sum = 0.0;
  std::map<std::uint32_t, double> nu, ni;
  for (const auto& t : ratings) {
    const double prediction =
        d.mu + d.bu[t.user] + d.bi[t.item] + d.p.row(t.user).dot(d.q.row(t.item));
    sum += (t.value - prediction) * (t.value - prediction);
    nu[t.user] += 1;
    ni[t.item] += 1;
  }
  const bool count = reg.weighting == solvers::RegWeighting::kCount;
  for (Eigen::Index u = 0; u < d.p.rows(); ++u) {
    sum += reg.lambda_user * (count ? nu[static_cast<std::uint32_t>(u)] : 1.0) *
           (d.p.row(u).squaredNorm() + d.bu[u] * d.bu[u]);
  }
  for (Eigen::Index i = 0; i < d.q.rows(); ++i) {
    sum += reg.lambda_item * (count ? ni[static_cast<std::uint32_t>(i)] : 1.0) *
           (d.q.row(i).squaredNorm() + d.bi[i] * d.bi[i]);
  }
  return sum;
}

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

void expect_near(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want, double tolerance,
                 const char* what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
  EXPECT_LE((got - want).cwiseAbs().maxCoeff(), tolerance * scale) << what;
}

}  // namespace dmf::test
