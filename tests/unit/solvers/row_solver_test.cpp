// The ALS row kernel against the normal equations solved plainly in double
// (dense, no chunks, no dual form), for degrees on both sides of k + 1, with
// and without a bias, and for rows longer than one gathered chunk; its Gram
// build against the plain float/double sums bit for bit on both sides of
// every blocking threshold; conjugate gradient against the exact solve.
#include "dmf/solvers/als/row_solver.hpp"

#include "dmf/solvers/als/cg_pass.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <Eigen/Dense>

namespace dmf::solvers {
namespace {

struct Problem {
  int k = 0;
  std::size_t width = 0;
  std::vector<float> features;  // packed rows: k factors, then the bias
  std::vector<std::uint32_t> slots;
  std::vector<float> values;
};

Problem make_problem(int k, std::size_t degree, unsigned seed) {
  Problem p;
  p.k = k;
  p.width = static_cast<std::size_t>(k) + 1;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0F, 0.5F);
  const std::size_t rows = degree + 7;
  p.features.resize(rows * p.width);
  for (auto& x : p.features) x = normal(rng);
  for (std::size_t j = 0; j < degree; ++j) {
    p.slots.push_back(static_cast<std::uint32_t>((j * 7 + 3) % rows));
    p.values.push_back(static_cast<float>(1 + rng() % 5));
  }
  return p;
}

/// x minimizing Σ (y − f·x)² + ridge ‖x‖², from the dense normal equations.
Eigen::VectorXd reference(const Problem& p, bool with_bias, float mu, double ridge) {
  const auto k = static_cast<Eigen::Index>(p.k);
  const Eigen::Index dim = k + (with_bias ? 1 : 0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(dim, dim) * ridge;
  Eigen::VectorXd b = Eigen::VectorXd::Zero(dim);
  for (std::size_t j = 0; j < p.values.size(); ++j) {
    const float* f = &p.features[p.slots[j] * p.width];
    Eigen::VectorXd x(dim);
    for (Eigen::Index c = 0; c < k; ++c) x[c] = f[c];
    if (with_bias) x[k] = 1.0;
    const double y = static_cast<double>(p.values[j]) - mu - f[k];
    a += x * x.transpose();
    b += y * x;
  }
  return a.completeOrthogonalDecomposition().solve(b);
}

void expect_solves(int k, std::size_t degree, bool with_bias, double ridge) {
  SCOPED_TRACE(testing::Message() << "k " << k << ", degree " << degree << ", bias " << with_bias
                                  << ", ridge " << ridge);
  const Problem p = make_problem(k, degree, static_cast<unsigned>(k * 1000 + degree));
  const float mu = 3.25F;
  RowSolver solver(k, with_bias);
  std::vector<float> factors(static_cast<std::size_t>(k));
  float bias = -1.0F;
  const RowRatings row{p.slots, p.values, p.features.data(), p.width};
  const double reported = solver.solve(row, mu, ridge, factors, bias);
  // The error the solve reports (from its own quantities) is the error of
  // the factors it stored, measured rating by rating.
  const double measured = RowSolver::squared_error(row, mu, factors, bias);
  EXPECT_NEAR(reported, measured, 1e-4 * measured + 1e-6);
  const Eigen::VectorXd want = reference(p, with_bias, mu, ridge);
  const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
  for (int f = 0; f < k; ++f) {
    EXPECT_NEAR(factors[static_cast<std::size_t>(f)], want[f], 2e-5 * scale) << "factor " << f;
  }
  EXPECT_NEAR(bias, with_bias ? want[k] : 0.0, 2e-5 * scale);
}

TEST(RowSolver, MatchesDenseNormalEquationsAroundTheDualThreshold) {
  for (const int k : {3, 16, 64}) {
    for (const std::size_t degree : {1UL, 2UL, 15UL, 16UL, 17UL, 63UL, 64UL, 65UL, 66UL, 200UL}) {
      for (const bool with_bias : {false, true})
        expect_solves(k, degree, with_bias, 0.7 * static_cast<double>(degree));
    }
  }
}

TEST(RowSolver, RowsLongerThanOneChunk) {
  const std::size_t chunk = RowSolver::kChunk;
  for (const std::size_t degree : {chunk - 1, chunk, chunk + 1, 3 * chunk + 17}) {
    expect_solves(8, degree, true, 0.05 * static_cast<double>(degree));
  }
}

TEST(RowSolver, UnregularizedRowsGetTheLeastSquaresSolution) {
  expect_solves(4, 40, true, 0.0);  // overdetermined: the exact least-squares fit
  expect_solves(6, 3, false, 0.0);  // underdetermined: the minimum-norm solution
}

TEST(RowSolver, RowWithoutRatingsIsZero) {
  RowSolver solver(4, true);
  std::vector<float> factors(4, 9.0F);
  float bias = 9.0F;
  solver.solve({}, 3.0F, 1.0, factors, bias);
  EXPECT_EQ(factors, std::vector<float>(4, 0.0F));
  EXPECT_EQ(bias, 0.0F);
}

TEST(RowSolver, SquaredErrorIsTheSumOfSquaredResiduals) {
  const Problem p = make_problem(5, 30, 11);
  const std::vector<float> factors{0.1F, -0.2F, 0.3F, 0.0F, 0.5F};
  const float bias = 0.25F;
  const float mu = 3.0F;
  double want = 0.0;
  for (std::size_t j = 0; j < p.values.size(); ++j) {
    const float* f = &p.features[p.slots[j] * p.width];
    double prediction = mu + bias + f[5];
    for (std::size_t c = 0; c < 5; ++c) prediction += static_cast<double>(factors[c]) * f[c];
    want += (p.values[j] - prediction) * (p.values[j] - prediction);
  }
  EXPECT_NEAR(
      RowSolver::squared_error({p.slots, p.values, p.features.data(), p.width}, mu, factors, bias),
      want, 1e-5 * want);
}

/// The Gram matrix (lower triangle) and right-hand side as the kernel
/// defines them, entry by entry: z = [q; 1], y = r − μ − b; within each
/// chunk of RowSolver::kChunk ratings a float sum in rating order (one fused
/// multiply-add per rating, Σ y by plain additions), the chunks' sums added
/// in double.
struct PlainSums {
  Eigen::MatrixXd gram;
  Eigen::VectorXd rhs;
};

PlainSums plain_sums(const Problem& p, bool with_bias, float mu) {
  const auto k = static_cast<Eigen::Index>(p.k);
  const Eigen::Index dim = k + (with_bias ? 1 : 0);
  PlainSums out{Eigen::MatrixXd::Zero(dim, dim), Eigen::VectorXd::Zero(dim)};
  const std::size_t n = p.values.size();
  for (std::size_t chunk = 0; chunk < n; chunk += RowSolver::kChunk) {
    Eigen::MatrixXf gram = Eigen::MatrixXf::Zero(dim, dim);
    Eigen::VectorXf rhs = Eigen::VectorXf::Zero(dim);
    float sum_y = 0.0F;
    for (std::size_t j = chunk; j < std::min(n, chunk + RowSolver::kChunk); ++j) {
      const float* f = &p.features[p.slots[j] * p.width];
      Eigen::VectorXf z(dim);
      for (Eigen::Index c = 0; c < k; ++c) z[c] = f[c];
      if (with_bias) z[k] = 1.0F;
      const float y = p.values[j] - mu - f[k];
      for (Eigen::Index r = 0; r < dim; ++r) {
        for (Eigen::Index c = 0; c <= r; ++c) gram(r, c) = std::fma(z[r], z[c], gram(r, c));
      }
      for (Eigen::Index r = 0; r < k; ++r) rhs[r] = std::fma(z[r], y, rhs[r]);
      sum_y += y;
    }
    if (with_bias) rhs[k] = sum_y;
    out.gram.triangularView<Eigen::Lower>() += gram.cast<double>();
    out.rhs += rhs.cast<double>();
  }
  return out;
}

TEST(RowSolver, GramBuildIsThePlainSumOnBothSidesOfEveryBlock) {
  // k on both sides of a SIMD packet, and (where tiles span two packets of
  // rows) a pair whose second packet is the last (17), a pair and a last
  // packet alone (33, 48), two pairs (64), two pairs and one alone (80).
  for (const int k : {5, 15, 16, 17, 33, 48, 64, 80}) {
    for (const bool with_bias : {false, true}) {
      RowSolver solver(k, with_bias);
      const std::size_t block = solver.gather_block();
      const std::size_t chunk = RowSolver::kChunk;
      for (const std::size_t degree :
           {1UL, block - 1, block, block + 1, chunk - 1, chunk, chunk + 1, 2 * chunk + block + 3}) {
        SCOPED_TRACE(testing::Message()
                     << "k " << k << ", bias " << with_bias << ", degree " << degree);
        const Problem p = make_problem(k, degree, static_cast<unsigned>(k + degree));
        const float mu = 3.25F;
        solver.build_normal_equations({p.slots, p.values, p.features.data(), p.width}, mu);
        const PlainSums want = plain_sums(p, with_bias, mu);
        const Eigen::MatrixXd got = solver.gram().triangularView<Eigen::Lower>();
        const Eigen::MatrixXd expected = want.gram.triangularView<Eigen::Lower>();
#ifdef __FMA__
        // Both sides fuse every multiply-add: the same operations in the same
        // order, so the same bits.
        EXPECT_EQ(got, expected);
        EXPECT_EQ(solver.rhs(), want.rhs);
#else
        // Without fused multiply-add the kernel rounds each product first.
        EXPECT_TRUE(got.isApprox(expected, 1e-5)) << (got - expected).cwiseAbs().maxCoeff();
        EXPECT_TRUE(solver.rhs().isApprox(want.rhs, 1e-5));
#endif
      }
    }
  }
}

TEST(RowSolver, BuildThenSolveIsTheSolve) {
  // The two phases the benchmark times apart give what solve() gives, and
  // solving the built equations again (another ridge, then the first)
  // leaves them as they were.
  const Problem p = make_problem(20, 90, 4);
  const RowRatings row{p.slots, p.values, p.features.data(), p.width};
  RowSolver solver(20, true);
  std::vector<float> whole(20), phased(20), again(20);
  float bias_whole = 0.0F, bias_phased = 0.0F, bias_again = 0.0F;
  const double error = solver.solve(row, 3.0F, 9.0, whole, bias_whole);
  solver.build_normal_equations(row, 3.0F);
  solver.solve_normal_equations(1.0, again, bias_again);
  EXPECT_EQ(solver.solve_normal_equations(9.0, phased, bias_phased), error);
  EXPECT_EQ(phased, whole);
  EXPECT_EQ(bias_phased, bias_whole);
  EXPECT_NE(again, whole);
}

TEST(RowSolver, CholeskyPhaseIsEigensLltToDoubleRounding) {
  // The hand-written factorization (two columns at a time) and triangular
  // solves (blocks of one packet of doubles) against Eigen's LLT of the same
  // built equations: unknowns on both sides of a packet of doubles (8 with
  // AVX-512, 4 with AVX) and of the pairs (odd, even).
  for (const int k : {1, 2, 3, 6, 7, 8, 9, 15, 16, 17, 31, 64}) {
    for (const bool with_bias : {false, true}) {
      SCOPED_TRACE(testing::Message() << "k " << k << ", bias " << with_bias);
      const Problem p = make_problem(k, static_cast<std::size_t>(3 * k + 10), 13);
      RowSolver solver(k, with_bias);
      solver.build_normal_equations({p.slots, p.values, p.features.data(), p.width}, 3.0F);
      const double ridge = 2.5;
      Eigen::MatrixXd a = solver.gram().selfadjointView<Eigen::Lower>();
      a.diagonal().array() += ridge;
      const Eigen::VectorXd want = a.llt().solve(solver.rhs());
      std::vector<float> factors(static_cast<std::size_t>(k));
      float bias = 0.0F;
      const double error = solver.solve_normal_equations(ridge, factors, bias);
      // The factors are stored in float: their rounding bounds the difference.
      const double scale = want.cwiseAbs().maxCoeff();
      for (int f = 0; f < k; ++f) {
        EXPECT_NEAR(factors[static_cast<std::size_t>(f)], want[f], 1e-6 * scale) << "factor " << f;
      }
      EXPECT_NEAR(bias, with_bias ? want[k] : 0.0, 1e-6 * scale);
      const double want_error =
          solver.targets_squared() - want.dot(solver.rhs()) - ridge * want.squaredNorm();
      EXPECT_NEAR(error, std::max(0.0, want_error), 1e-9 * solver.targets_squared());
    }
  }
}

/// The same row with its feature matrix moved by one float in memory.
struct Shifted {
  std::vector<float> storage;
  explicit Shifted(const Problem& p) : storage(p.features.size() + 1) {
    std::copy(p.features.begin(), p.features.end(), storage.begin() + 1);
  }
  [[nodiscard]] RowRatings row(const Problem& p) const {
    return {p.slots, p.values, storage.data() + 1, p.width};
  }
};

TEST(RowSolver, ResultDoesNotDependOnWhereTheFeaturesSit) {
  // The fetched rows sit at offsets that differ between layouts (ranks ×
  // threads); the model must not.
  for (const std::size_t degree : {20UL, 300UL}) {
    const Problem p = make_problem(37, degree, 5);
    const Shifted shifted(p);
    const RowRatings row{p.slots, p.values, p.features.data(), p.width};
    RowSolver solver(37, true);
    std::vector<float> a(37), b(37), c(37, 0.1F), d(37, 0.1F);
    float bias_a = 0.0F, bias_b = 0.0F, bias_c = 0.2F, bias_d = 0.2F;
    solver.solve(row, 3.0F, 5.0, a, bias_a);
    solver.solve(shifted.row(p), 3.0F, 5.0, b, bias_b);
    EXPECT_EQ(a, b);
    EXPECT_EQ(bias_a, bias_b);
    solver.solve_cg(row, 3.0F, 5.0, 3, c, bias_c);
    solver.solve_cg(shifted.row(p), 3.0F, 5.0, 3, d, bias_d);
    EXPECT_EQ(c, d);
    EXPECT_EQ(bias_c, bias_d);
  }
}

/// The dense system A x = b of the row, in double.
struct Dense {
  Eigen::MatrixXd a;
  Eigen::VectorXd b;
  Eigen::VectorXd solution;
  double condition = 0.0;  // of A
};

Dense dense_system(const Problem& p, bool with_bias, float mu, double ridge) {
  const auto k = static_cast<Eigen::Index>(p.k);
  const Eigen::Index dim = k + (with_bias ? 1 : 0);
  Dense d{Eigen::MatrixXd::Identity(dim, dim) * ridge, Eigen::VectorXd::Zero(dim), {}, 0.0};
  for (std::size_t j = 0; j < p.values.size(); ++j) {
    const float* f = &p.features[p.slots[j] * p.width];
    Eigen::VectorXd z(dim);
    for (Eigen::Index c = 0; c < k; ++c) z[c] = f[c];
    if (with_bias) z[k] = 1.0;
    d.a += z * z.transpose();
    d.b += (static_cast<double>(p.values[j]) - mu - f[k]) * z;
  }
  d.solution = d.a.llt().solve(d.b);
  const Eigen::VectorXd eigenvalues =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(d.a).eigenvalues();
  d.condition = eigenvalues.maxCoeff() / eigenvalues.minCoeff();
  return d;
}

/// ‖x − x*‖_A, the norm in which conjugate gradient's error bound holds.
double a_norm_error(const Dense& d, const std::vector<float>& factors, float bias, bool with_bias) {
  Eigen::VectorXd x(d.solution.size());
  for (std::size_t f = 0; f < factors.size(); ++f) x[static_cast<Eigen::Index>(f)] = factors[f];
  if (with_bias) x[x.size() - 1] = bias;
  const Eigen::VectorXd e = x - d.solution;
  return std::sqrt(e.dot(d.a * e));
}

TEST(RowSolver, ConjugateGradientErrorShrinksAsItsBoundSays) {
  // On a well-conditioned row (ridge comparable to the features' spread,
  // condition number about 2) the error after N steps from any start is at
  // most 2 ((√κ − 1)/(√κ + 1))^N times the starting one in the A-norm. The
  // passes sum in float, which adds rounding: 2e-6 of the starting error
  // (the errors y − zᵀx₀ it sums) plus 1e-5 of the solution's A-norm.
  for (const bool with_bias : {false, true}) {
    const int k = 24;
    const Problem p = make_problem(k, 400, 3);
    const float mu = 3.25F;
    const double ridge = 0.7 * 400;
    const Dense d = dense_system(p, with_bias, mu, ridge);
    ASSERT_LT(d.condition, 3.0);
    const double rate = (std::sqrt(d.condition) - 1) / (std::sqrt(d.condition) + 1);
    const double solution_norm = std::sqrt(d.solution.dot(d.a * d.solution));
    const RowRatings row{p.slots, p.values, p.features.data(), p.width};
    RowSolver solver(k, with_bias);
    for (const float start : {0.0F, 0.5F}) {  // cold, and far from the solution
      const std::vector<float> start_factors(static_cast<std::size_t>(k), start);
      const double initial = a_norm_error(d, start_factors, start, with_bias);
      for (const int steps : {1, 2, 3, 5, 8}) {
        SCOPED_TRACE(testing::Message()
                     << "bias " << with_bias << ", start " << start << ", steps " << steps);
        std::vector<float> factors = start_factors;
        float bias = start;
        solver.solve_cg(row, mu, ridge, steps, factors, bias);
        EXPECT_LE(a_norm_error(d, factors, bias, with_bias),
                  2 * std::pow(rate, steps) * initial + 2e-6 * initial + 1e-5 * solution_norm);
      }
    }
  }
}

TEST(RowSolver, ConjugateGradientReachesTheExactSolve) {
  // A harder row (condition about 30): after as many steps as unknowns,
  // conjugate gradient agrees with the Cholesky solve to float rounding, and
  // the error it reports is that of the factors it stored.
  for (const bool with_bias : {false, true}) {
    const int k = 16;
    const Problem p = make_problem(k, 300, 9);
    const float mu = 3.25F;
    const double ridge = 3.0;
    const RowRatings row{p.slots, p.values, p.features.data(), p.width};
    RowSolver solver(k, with_bias);
    std::vector<float> exact(static_cast<std::size_t>(k));
    float exact_bias = 0.0F;
    solver.solve(row, mu, ridge, exact, exact_bias);
    std::vector<float> factors(static_cast<std::size_t>(k), 0.0F);
    float bias = 0.0F;
    const double reported = solver.solve_cg(row, mu, ridge, k + 1, factors, bias);
    for (int f = 0; f < k; ++f) {
      const auto i = static_cast<std::size_t>(f);
      EXPECT_NEAR(factors[i], exact[i], 1e-4 * std::max(1.0F, std::abs(exact[i])))
          << "factor " << f;
    }
    EXPECT_NEAR(bias, exact_bias, 1e-4 * std::max(1.0F, std::abs(exact_bias)));
    const double measured = RowSolver::squared_error(row, mu, factors, bias);
    EXPECT_NEAR(reported, measured, 1e-4 * measured);
    // Warm-started at the solution, further steps stay there.
    const std::vector<float> converged = factors;
    const float converged_bias = bias;
    solver.solve_cg(row, mu, ridge, 3, factors, bias);
    for (std::size_t f = 0; f < factors.size(); ++f) {
      EXPECT_NEAR(factors[f], converged[f], 1e-5 * std::max(1.0F, std::abs(converged[f])));
    }
    EXPECT_NEAR(bias, converged_bias, 1e-5 * std::max(1.0F, std::abs(converged_bias)));
  }
}

TEST(RowSolver, ConjugateGradientPassIsThePlainSum) {
  // The pass against Σ e z in double, e = y − zᵀv, for k below, at and
  // above whole SIMD packets (1 packet is 4 to 16 lanes) and beyond the
  // widths kept in registers (150), over more than one chunk: within float
  // rounding of sums of kChunk terms. Rows on both sides of kCgCachedBytes,
  // so that the passes without targets run with and without prefetching.
  for (const int k : {3, 8, 15, 16, 17, 33, 64, 150}) {
    const std::size_t cached = kCgCachedBytes / (static_cast<std::size_t>(k) * sizeof(float));
    for (const std::size_t degree : {RowSolver::kChunk + 77, cached + 1}) {
      for (const bool with_bias : {false, true}) {
        for (const bool with_targets : {false, true}) {
          SCOPED_TRACE(testing::Message() << "k " << k << ", degree " << degree << ", bias "
                                          << with_bias << ", targets " << with_targets);
          const Problem p = make_problem(k, degree, 11);
          const float mu = 3.0F;
          const int dim = k + (with_bias ? 1 : 0);
          std::vector<float> direction(cg_direction_size(k), 0.0F);
          for (int c = 0; c < dim; ++c)
            direction[static_cast<std::size_t>(c)] = 0.1F * static_cast<float>(c % 7) - 0.3F;
          const CgPassInput input{p.slots.data(),  p.values.data(),
                                  p.values.size(), p.features.data(),
                                  p.width,         p.features.data() + k,
                                  p.width,         k,
                                  with_bias,       mu};
          EXPECT_EQ(cg_pass_streams(input, with_targets), with_targets || degree > cached);
          std::vector<double> out(static_cast<std::size_t>(dim), 7.0);
          const double squares = cg_pass(input, direction.data(), with_targets, out.data());
          std::vector<double> expected(static_cast<std::size_t>(dim), 0.0);
          double expected_squares = 0.0;
          double scale = 0.0;  // Σ |e| ‖z‖∞: what the sums' rounding is relative to
          for (std::size_t j = 0; j < p.values.size(); ++j) {
            const float* f = &p.features[p.slots[j] * p.width];
            double e = with_targets ? static_cast<double>(p.values[j]) - mu - f[k] : 0.0;
            for (int c = 0; c < k; ++c)
              e -= static_cast<double>(f[c]) * direction[static_cast<std::size_t>(c)];
            if (with_bias) e -= direction[static_cast<std::size_t>(k)];
            for (int c = 0; c < k; ++c) expected[static_cast<std::size_t>(c)] += e * f[c];
            if (with_bias) expected[static_cast<std::size_t>(k)] += e;
            expected_squares += e * e;
            scale += std::abs(e) * 2.0;
          }
          for (int c = 0; c < dim; ++c) {
            EXPECT_NEAR(out[static_cast<std::size_t>(c)], expected[static_cast<std::size_t>(c)],
                        1e-5 * scale)
                << "entry " << c;
          }
          EXPECT_NEAR(squares, with_targets ? expected_squares : 0.0, 1e-5 * expected_squares);
        }
      }
    }
  }
}

TEST(RowSolver, SeparateBiasesGiveThePackedRowsResult) {
  // One rank reads the model's rows in place: k factors a row, the biases
  // apart. The same values give the same bits as the packed rows.
  for (const int k : {5, 16, 37, 64}) {
    for (const std::size_t degree : {3UL, 300UL}) {
      SCOPED_TRACE(testing::Message() << "k " << k << ", degree " << degree);
      const Problem p = make_problem(k, degree, 13);
      const std::size_t rows = p.features.size() / p.width;
      std::vector<float> factors(rows * static_cast<std::size_t>(k));
      std::vector<float> biases(rows);
      for (std::size_t r = 0; r < rows; ++r) {
        std::copy_n(&p.features[r * p.width], k, &factors[r * static_cast<std::size_t>(k)]);
        biases[r] = p.features[r * p.width + static_cast<std::size_t>(k)];
      }
      const RowRatings packed{p.slots, p.values, p.features.data(), p.width};
      const RowRatings apart{p.slots, p.values, factors.data(), static_cast<std::size_t>(k),
                             biases.data()};
      RowSolver solver(k, true);
      std::vector<float> a(static_cast<std::size_t>(k)), b(a.size()), c(a.size(), 0.1F),
          d(a.size(), 0.1F);
      float bias_a = 0.0F, bias_b = 0.0F, bias_c = 0.2F, bias_d = 0.2F;
      EXPECT_EQ(solver.solve(packed, 3.0F, 5.0, a, bias_a),
                solver.solve(apart, 3.0F, 5.0, b, bias_b));
      EXPECT_EQ(a, b);
      EXPECT_EQ(bias_a, bias_b);
      EXPECT_EQ(solver.solve_cg(packed, 3.0F, 5.0, 3, c, bias_c),
                solver.solve_cg(apart, 3.0F, 5.0, 3, d, bias_d));
      EXPECT_EQ(c, d);
      EXPECT_EQ(bias_c, bias_d);
      EXPECT_EQ(RowSolver::squared_error(packed, 3.0F, a, bias_a),
                RowSolver::squared_error(apart, 3.0F, a, bias_a));
    }
  }
}

TEST(RowSolver, ConjugateGradientOnARowWithoutRatingsIsZero) {
  RowSolver solver(4, true);
  std::vector<float> factors(4, 9.0F);
  float bias = 9.0F;
  EXPECT_EQ(solver.solve_cg({}, 3.0F, 1.0, 3, factors, bias), 0.0);
  EXPECT_EQ(factors, std::vector<float>(4, 0.0F));
  EXPECT_EQ(bias, 0.0F);
}

}  // namespace
}  // namespace dmf::solvers
