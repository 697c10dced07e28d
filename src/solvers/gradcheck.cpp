#include "dmf/solvers/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dmf/core/rng.hpp"
#include "dmf/solvers/gradient_terms.hpp"

namespace dmf::solvers {
namespace {

/// One side's rows in double: factors (rows × k) and biases.
struct Rows {
  std::vector<double> factors;
  std::vector<double> bias;
  int k = 0;
  [[nodiscard]] std::span<const double> row(std::uint32_t r) const {
    return std::span(factors).subspan(static_cast<std::size_t>(r) * k, static_cast<std::size_t>(k));
  }
  [[nodiscard]] double& at(std::uint32_t r, int column) {
    return column == k ? bias[r] : factors[static_cast<std::size_t>(r) * k + column];
  }
};

Rows to_double(const std::vector<float>& factors, const std::vector<float>& bias, int k) {
  return {{factors.begin(), factors.end()}, {bias.begin(), bias.end()}, k};
}

/// Σ (r − r̂)² over the ratings at `positions` of this rank's CSR.
double squared_error(const data::SparseBlock& csr, std::span<const std::uint64_t> positions,
                     std::span<const std::uint32_t> user_of, double mu, const Rows& users,
                     const Rows& items) {
  double sum = 0.0;
  for (const std::uint64_t pos : positions) {
    const std::uint32_t u = user_of[pos];
    const std::uint32_t i = csr.columns[pos];
    const double e = residual<double>(csr.values[pos], mu, users.bias[u], items.bias[i],
                                      users.row(u), items.row(i));
    sum += e * e;
  }
  return sum;
}

}  // namespace

double Coordinate::relative_error() const noexcept {
  const double scale = std::max({std::abs(analytic), std::abs(numeric), 1e-12});
  return std::abs(analytic - numeric) / scale;
}

GradcheckResult gradient_check(const dist::Comm& comm, const data::RatingsData& data,
                               const model::Model& model, const Regularization& reg,
                               const GradcheckOptions& options) {
  const data::SparseBlock& csr = data.by_user;
  const int k = model.k;
  const auto width = static_cast<std::size_t>(k) + 2;
  Rows users = to_double(model.users.factors, model.users.bias, k);
  Rows items = to_double(comm.allgatherv<float>(model.items.factors),
                         comm.allgatherv<float>(model.items.bias), k);
  const std::uint32_t total_items = model.items.total_rows;
  const auto item_degree = comm.allgatherv<std::uint64_t>(data.by_item.degrees());

  // Every local rating's residual, then the terms of each user (local) and
  // each item (summed over ranks), exactly as gd sums them.
  const std::vector<std::uint32_t> user_of = csr.row_of_entries();
  std::vector<double> user_terms(csr.rows() * width, 0.0);
  std::vector<double> item_terms(total_items * width, 0.0);
  for (std::uint64_t pos = 0; pos < csr.nnz(); ++pos) {
    const std::uint32_t u = user_of[pos];
    const std::uint32_t i = csr.columns[pos];
    const double e = residual<double>(csr.values[pos], model.mu, users.bias[u], items.bias[i],
                                      users.row(u), items.row(i));
    add_rating_terms<double>(std::span(user_terms).subspan(u * width, width), e, items.row(i));
    add_rating_terms<double>(std::span(item_terms).subspan(i * width, width), e, users.row(u));
  }
  comm.allreduce<double>(item_terms, dist::Op::kSum);

  // Local ratings of each item, for the items' differences.
  const std::vector<std::uint64_t> by_item = csr.entries_by_column();

  const bool user_bias = model::has_user_bias(model.biases);
  const bool item_bias = model::has_item_bias(model.biases);
  const std::uint32_t total_users = model.users.total_rows;
  auto rng = Rng(combine(options.seed, 0x67726164ULL));  // "grad"
  std::vector<double> analytic(options.samples, 0.0);
  std::vector<double> numeric(options.samples, 0.0);
  std::vector<Coordinate> picked(options.samples);
  const double h = options.step;
  for (std::uint64_t s = 0; s < options.samples; ++s) {
    // Every rank draws the same coordinates.
    const bool user = rng.below(std::uint64_t{total_users} + total_items) < total_users;
    const std::uint32_t row = static_cast<std::uint32_t>(rng.below(user ? total_users : total_items));
    const bool with_bias = user ? user_bias : item_bias;
    const int column = static_cast<int>(rng.below(static_cast<std::uint64_t>(k + (with_bias ? 1 : 0))));
    picked[s] = {user ? "user" : "item", row, column, 0.0, 0.0};
    Rows& side = user ? users : items;
    const double lambda = user ? reg.lambda_user : reg.lambda_item;
    // The ratings the coordinate enters, on this rank; `mine`: this rank
    // adds the row's penalty and its analytic gradient (its owner for a
    // user, rank 0 for a replicated item row).
    std::span<const std::uint64_t> positions;
    std::vector<std::uint64_t> user_positions;
    std::uint32_t local = row;
    std::uint64_t degree = 0;
    bool mine = true;
    if (user) {
      if (row < csr.first_row || row >= csr.first_row + csr.rows()) continue;
      local = row - csr.first_row;
      degree = csr.degree(local);
      user_positions.resize(degree);
      std::iota(user_positions.begin(), user_positions.end(), csr.offsets[local]);
      positions = user_positions;
    } else {
      mine = comm.is_root();
      const auto first = std::ranges::lower_bound(by_item, row, {}, [&](std::uint64_t pos) {
        return csr.columns[pos];
      });
      const auto last = std::ranges::upper_bound(by_item, row, {}, [&](std::uint64_t pos) {
        return csr.columns[pos];
      });
      positions = std::span(first, last);
      degree = item_degree[row];
    }
    double& theta = side.at(local, column);
    const double original = theta;
    const double weight = reg.weight(degree);
    const auto loss = [&] {
      double value = squared_error(csr, positions, user_of, model.mu, users, items);
      if (mine) value += lambda * weight * theta * theta;
      return value;
    };
    theta = original + h;
    const double plus = loss();
    theta = original - h;
    const double minus = loss();
    theta = original;
    numeric[s] = (plus - minus) / (2.0 * h);
    if (mine && degree > 0) {
      const std::span<const double> terms =
          user ? std::span<const double>(user_terms).subspan(local * width, width)
               : std::span<const double>(item_terms).subspan(row * width, width);
      std::vector<double> g(static_cast<std::size_t>(k));
      double g_bias = 0.0;
      row_gradient<double>(terms, 2.0 * lambda * weight / static_cast<double>(degree),
                           side.row(local), side.bias[local], g, g_bias);
      // gd's step is the gradient divided by the row's count: undo it.
      const double n = terms[static_cast<std::size_t>(k) + 1];
      analytic[s] = n * (column == k ? g_bias : g[static_cast<std::size_t>(column)]);
    }
  }
  comm.allreduce<double>(analytic, dist::Op::kSum);
  comm.allreduce<double>(numeric, dist::Op::kSum);
  GradcheckResult result;
  result.checked = options.samples;
  for (std::uint64_t s = 0; s < options.samples; ++s) {
    picked[s].analytic = analytic[s];
    picked[s].numeric = numeric[s];
    if (s == 0 || picked[s].relative_error() > result.worst.relative_error()) result.worst = picked[s];
  }
  return result;
}

}  // namespace dmf::solvers
