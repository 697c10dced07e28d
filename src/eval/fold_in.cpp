#include "dmf/eval/fold_in.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "dmf/core/error.hpp"
#include "dmf/core/hash.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/eval/item_ring.hpp"
#include "dmf/solvers/als/row_solver.hpp"
#include "dmf/solvers/ials/exact_gram.hpp"
#include "dmf/solvers/ials/implicit_row.hpp"
#include "dmf/solvers/objective.hpp"

namespace dmf::eval {
namespace {

/// The packed item rows ([factors..., bias]) of `wanted` (ascending global
/// rows), fetched as the item blocks pass around the ring.
std::vector<float> fetch_items(const dist::Comm& comm, const model::FactorBlock& items,
                               std::span<const std::uint32_t> wanted) {
  const std::size_t width = static_cast<std::size_t>(items.k) + 1;
  std::vector<float> rows(wanted.size() * width);
  for_each_item_block(comm, items,
                      [&](std::uint32_t first, std::size_t count, std::span<const float> block) {
                        const auto end = static_cast<std::uint32_t>(first + count);
                        for (auto it = std::ranges::lower_bound(wanted, first);
                             it != wanted.end() && *it < end; ++it) {
                          std::copy_n(block.data() + (*it - first) * width, width,
                                      rows.data() + (it - wanted.begin()) * width);
                        }
                      });
  return rows;
}

/// The users' side of the model's regularization (λ_u and its weighting):
/// the only side fold-in solves.
solvers::Regularization user_regularization(const model::ModelObjective& objective) {
  return {
      objective.lambda_user, 0.0,
      objective.count_weighting ? solvers::RegWeighting::kCount : solvers::RegWeighting::kUniform};
}

/// `slots`: where each item of `row` sits among `wanted`, the rows of the
/// fetched features.
void feature_slots(const FoldInRow& row, std::span<const std::uint32_t> wanted,
                   std::vector<std::uint32_t>& slots) {
  slots.clear();
  for (const std::uint32_t item : row.items) {
    slots.push_back(
        static_cast<std::uint32_t>(std::ranges::lower_bound(wanted, item) - wanted.begin()));
  }
}

/// Explicit feedback: each row solved exactly as ALS's user half-sweep
/// solves it (solvers/als/als.cpp): the same kernel, the ratings in item
/// order, ridge λ_u w.
void fold_in_explicit(const model::Model& model, std::span<const FoldInRow> rows,
                      const model::ModelObjective& objective, std::span<const std::uint32_t> wanted,
                      const std::vector<float>& features, int threads, model::FactorBlock& out) {
  const solvers::Regularization reg = user_regularization(objective);
  const auto mu = static_cast<float>(model.mu);
  const bool with_bias = model::has_user_bias(model.biases);
  threads = std::max(1, threads);
  std::vector<solvers::RowSolver> kernels;
  kernels.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) kernels.emplace_back(model.k, with_bias);
  std::vector<std::vector<std::uint32_t>> slots(static_cast<std::size_t>(threads));
  parallel_for_dynamic(threads, static_cast<std::int64_t>(rows.size()), 1,
                       [&](std::int64_t r, int worker) {
                         const FoldInRow& row = rows[static_cast<std::size_t>(r)];
                         auto& slot = slots[static_cast<std::size_t>(worker)];
                         feature_slots(row, wanted, slot);
                         const solvers::RowRatings ratings{slot, row.values, features.data(),
                                                           static_cast<std::size_t>(model.k) + 1};
                         const auto local = static_cast<std::uint32_t>(r);
                         kernels[static_cast<std::size_t>(worker)].solve(
                             ratings, mu, objective.lambda_user * reg.weight(row.items.size()),
                             out.row(local), out.bias[local]);
                         if (!with_bias) out.bias[local] = 0.0F;
                       });
}

/// Implicit feedback: each row solved exactly (Cholesky) as implicit ALS's
/// user half-sweep under --als-solve cholesky solves it (solvers/ials/
/// ials.cpp): YᵀY over all the model's items (collective, exact_gram: the
/// same bits for any ranks and threads, no rank gathering the item matrix),
/// the row's observations in item order, ridge λ_u w. Never the few
/// conjugate-gradient steps of --als-solve cg, which start from the row's
/// current factors: a folded user has none, and the exact solve is the
/// minimizer the steps approach.
void fold_in_implicit(const dist::Comm& comm, const model::Model& model,
                      std::span<const FoldInRow> rows, const model::ModelObjective& objective,
                      std::span<const std::uint32_t> wanted, const std::vector<float>& features,
                      int threads, model::FactorBlock& out) {
  threads = std::max(1, threads);
  const std::vector<double> g = solvers::exact_gram(comm, model.items, threads);
  const Eigen::MatrixXd gram = Eigen::Map<const Eigen::MatrixXd>(g.data(), model.k, model.k);
  const solvers::Regularization reg = user_regularization(objective);
  const solvers::Confidence confidence{
      objective.alpha,
      objective.log_confidence ? solvers::ConfidenceScale::kLog : solvers::ConfidenceScale::kLinear,
      objective.confidence_epsilon};
  std::vector<solvers::ImplicitRowSolver> kernels;
  kernels.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) kernels.emplace_back(model.k);
  std::vector<std::vector<std::uint32_t>> slots(static_cast<std::size_t>(threads));
  parallel_for_dynamic(threads, static_cast<std::int64_t>(rows.size()), 1,
                       [&](std::int64_t r, int worker) {
                         const FoldInRow& row = rows[static_cast<std::size_t>(r)];
                         auto& slot = slots[static_cast<std::size_t>(worker)];
                         feature_slots(row, wanted, slot);
                         const solvers::RowRatings ratings{slot, row.values, features.data(),
                                                           static_cast<std::size_t>(model.k) + 1};
                         const auto local = static_cast<std::uint32_t>(r);
                         out.bias[local] = 0.0F;  // an implicit model has no biases
                         if (row.items.empty())
                           return;  // zeros, as a cold user (rhs 0, maybe no ridge)
                         kernels[static_cast<std::size_t>(worker)].solve(
                             ratings, gram, confidence,
                             objective.lambda_user * reg.weight(row.items.size()), out.row(local));
                       });
}

}  // namespace

model::FactorBlock fold_in(const dist::Comm& comm, const model::Model& model,
                           std::span<const FoldInRow> rows, const model::ModelObjective& objective,
                           int threads) {
  std::vector<std::uint32_t> wanted;
  for (const FoldInRow& row : rows) wanted.insert(wanted.end(), row.items.begin(), row.items.end());
  std::ranges::sort(wanted);
  wanted.erase(std::ranges::unique(wanted).begin(), wanted.end());
  const std::vector<float> features = fetch_items(comm, model.items, wanted);
  const auto count = static_cast<std::uint32_t>(rows.size());
  model::FactorBlock out(0, count, count, model.k);
  // The one place the feedback kind chooses the row solve.
  switch (objective.feedback) {
    case model::Feedback::kExplicit:
      fold_in_explicit(model, rows, objective, wanted, features, threads, out);
      break;
    case model::Feedback::kImplicit:
      fold_in_implicit(comm, model, rows, objective, wanted, features, threads, out);
      break;
  }
  return out;
}

FoldInUsers read_fold_in_users(const dist::Comm& comm, const std::string& path,
                               const data::LoadOptions& load, const model::LoadedModel& loaded) {
  data::LoadOptions as_read = load;
  as_read.pairs_once = false;
  data::LocalRatings raw = data::read_ratings_here(comm, path, as_read);
  DMF_CHECK(raw.lines.size() == raw.size(), "fold-in: {} read without line numbers", path);
  FoldInUsers users;

  // Each user's first line here, and the ID on it: the lists are written
  // under these IDs by the rank that read the user's first line.
  const int ranks = comm.size();
  std::vector<std::uint64_t> first_here(raw.user_tokens.size(),
                                        std::numeric_limits<std::uint64_t>::max());
  for (std::size_t k = 0; k < raw.size(); ++k) {
    first_here[raw.users[k]] = std::min(first_here[raw.users[k]], raw.lines[k]);
  }
  struct First {
    std::uint64_t key;
    std::uint64_t line;
    std::int64_t reader;  // 64 bits: no padding bytes to send
  };
  std::vector<std::vector<First>> firsts(static_cast<std::size_t>(ranks));
  for (std::uint32_t u = 0; u < raw.user_tokens.size(); ++u) {
    const std::uint64_t key = hash_bytes(raw.user_tokens[u]);
    firsts[static_cast<std::size_t>(rank_of_key(key, ranks))].push_back(
        {key, first_here[u], comm.rank()});
    users.ids_by_line.emplace_back(first_here[u], std::string(raw.user_tokens[u]));
  }
  std::ranges::sort(users.ids_by_line);

  // The ratings, duplicate pairs merged as training merges them, to the
  // rank each user hashes to.
  data::LocalRatings merged = load.pairs_once
                                  ? data::merge_duplicate_pairs(comm, std::move(raw), path, load)
                                  : std::move(raw);
  const std::vector<std::uint32_t> item_rows = loaded.items.lookup(comm, merged.item_tokens);
  struct Rating {
    std::uint64_t key;
    std::uint32_t item;  // global row, or kUnknownRow
    float value;
  };
  std::vector<std::uint64_t> user_keys(merged.user_tokens.size());
  for (std::uint32_t u = 0; u < merged.user_tokens.size(); ++u) {
    user_keys[u] = hash_bytes(merged.user_tokens[u]);
  }
  std::vector<std::vector<Rating>> out(static_cast<std::size_t>(ranks));
  for (std::size_t k = 0; k < merged.size(); ++k) {
    const std::uint64_t key = user_keys[merged.users[k]];
    out[static_cast<std::size_t>(rank_of_key(key, ranks))].push_back(
        {key, item_rows[merged.items[k]], merged.values[k]});
  }
  const auto flatten = [](auto& parts, std::vector<std::size_t>& counts) {
    std::vector<typename std::decay_t<decltype(parts)>::value_type::value_type> flat;
    counts.clear();
    for (const auto& part : parts) {
      flat.insert(flat.end(), part.begin(), part.end());
      counts.push_back(part.size());
    }
    return flat;
  };
  std::vector<std::size_t> counts;
  const std::vector<First> first_send = flatten(firsts, counts);
  const std::vector<First> got_firsts = comm.alltoallv<First>(first_send, counts);
  const std::vector<Rating> rating_send = flatten(out, counts);
  std::vector<Rating> got = comm.alltoallv<Rating>(rating_send, counts);

  // This rank's users, in order of their key (any fixed order would do:
  // the output is ordered by first line on the readers).
  std::unordered_map<std::uint64_t, std::size_t> index;
  for (const First& f : got_firsts) {
    const auto [it, inserted] = index.emplace(f.key, users.keys.size());
    if (inserted) {
      users.keys.push_back(f.key);
      users.first_lines.push_back(f.line);
      users.readers.push_back(static_cast<std::int32_t>(f.reader));
    } else if (f.line < users.first_lines[it->second]) {
      users.first_lines[it->second] = f.line;
      users.readers[it->second] = static_cast<std::int32_t>(f.reader);
    }
  }
  users.rows.resize(users.keys.size());
  std::uint64_t unknown = 0;
  // Item order, as the model's own rows hold their ratings (canonical).
  std::ranges::stable_sort(got, [](const Rating& a, const Rating& b) {
    return a.key != b.key ? a.key < b.key : a.item < b.item;
  });
  for (const Rating& r : got) {
    if (r.item == data::kUnknownRow) {
      ++unknown;
      continue;
    }
    FoldInRow& row = users.rows[index.at(r.key)];
    row.items.push_back(r.item);
    row.values.push_back(r.value);
  }
  users.users = comm.allreduce<std::uint64_t>(users.keys.size(), dist::Op::kSum);
  users.ratings = comm.allreduce<std::uint64_t>(got.size(), dist::Op::kSum);
  users.unknown_items = comm.allreduce(unknown, dist::Op::kSum);
  return users;
}

}  // namespace dmf::eval
