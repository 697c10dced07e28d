// dmf recommend: the top-N items for one user, a file of users, or every
// user, distributed over ranks (each rank scores the users it owns against
// every item block in turn) and threads.
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/model_input.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/cli/ranked_lists.hpp"
#include "dmf/core/hash.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/ordered_output.hpp"
#include "dmf/eval/fold_in.hpp"
#include "dmf/eval/id_list.hpp"
#include "dmf/eval/top_n.hpp"
#include "dmf/model/dir_writer.hpp"
#include "dmf/model/model_dir.hpp"
#include "dmf/model/model_objective.hpp"

namespace dmf::cli {
namespace {

struct RecommendOptions {
  std::string model;
  std::string user;
  std::string users;
  bool all_users = false;
  std::string fold_in;
  int top = 10;
  std::string exclude_rated;
  std::string candidates;
  std::string exclude;
  data::LoadOptions load;
  eval::ColdStart cold_start = eval::ColdStart::kMean;
  std::string out;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, RecommendOptions& o) {
  params.section("Input");
  declare_model(params, o.model);
  params.add("user", &o.user, "Recommend for this one user ID").value_name("ID");
  params.add("users", &o.users, "Recommend for the user IDs of this file, one per line")
      .value_name("FILE");
  params.flag("all-users", &o.all_users, "Recommend for every user of the model");
  params
      .add("fold-in", &o.fold_in,
           "Recommend for the users of this ratings file (format options below), new or with a "
           "changed history: each user's factors are solved from its rows against the model's "
           "item factors with the model's objective; lists in order of each user's first line")
      .value_name("FILE");
  params
      .add("exclude-rated", &o.exclude_rated,
           "Never recommend an item a user rated in this ratings file (e.g. the training "
           "data; read with the format options below); with --fold-in, nor the items of the "
           "user's rows there")
      .value_name("FILE");
  params
      .add("candidates", &o.candidates,
           "Rank only the items of this file, one ID a line (an allow-list); IDs the model "
           "does not have are counted and ignored")
      .value_name("FILE");
  params
      .add("exclude", &o.exclude,
           "Never recommend the items of this file, one ID a line (a deny-list), for any user")
      .value_name("FILE");
  declare_load_options(params, o.load);
  params.section("Recommendation");
  params.add("top", &o.top, "Items per user, best first; ties go to the lower item ID")
      .value_name("N")
      .at_least(1);
  declare_cold_start(params, o.cold_start);
  declare_threads(params, o.threads);
  params.section("Output");
  params
      .add("out", &o.out,
           "CSV with a header line user,rank,item,score: N lines per user, users in the order "
           "given (--all-users: in ID order); - for standard output, where --user ID without "
           "--out writes too")
      .value_name("FILE");
  params.flag("overwrite", &o.overwrite, "Replace --out if it exists");
  params.example(
      "dmf recommend --model model --user 42 --top 10 --exclude-rated ml.train --out "
      "top.csv",
      "User 42's 10 best items among those not rated in training");
  params.example("mpirun -n 4 dmf recommend --model model --all-users --top 20 --out top20.csv",
                 "The 20 best items of every user, on 4 ranks");
}

/// A user to recommend for, on its way to the rank that scores it: the
/// owner of its model row, or for a user the model has not seen (row
/// kUnknownRow) the rank its ID hashes to, where that ID's exclusions meet it.
struct Query {
  std::uint64_t sequence = 0;  // among all queries: the output order
  std::uint64_t cold_key = 0;  // hash of the ID, for a cold user
  std::uint32_t row = 0;
  std::int32_t reader = 0;  // the rank that read it, where its result goes
};

/// This rank's queries and their user IDs, in output order.
struct Queries {
  data::TokenTable tokens;           // per query
  std::vector<std::uint64_t> lines;  // per query, for errors (0 when not from a file)
};

Queries read_queries(const dist::Comm& comm, const RecommendOptions& o,
                     const model::LoadedModel& loaded) {
  Queries q;
  if (o.all_users) {
    for (std::uint32_t r = 0; r < loaded.users.local_rows(); ++r) {
      q.tokens.push(loaded.users.token(r));
      q.lines.push_back(0);
    }
  } else if (!o.user.empty()) {
    if (comm.is_root()) {
      q.tokens.push(o.user);
      q.lines.push_back(0);
    }
  } else {
    eval::IdLines lines = eval::read_id_lines(comm, o.users);
    q.tokens = std::move(lines.ids);
    q.lines = std::move(lines.lines);
  }
  return q;
}

/// The items to exclude: per owned user row, and per cold user (by the
/// hash of its ID) on the rank that scores it; each list sorted.
struct Exclusions {
  std::vector<std::vector<std::uint32_t>> of_row;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> of_cold;
};

/// `by_id`: every user keyed by the hash of its ID, on the rank it hashes to
/// (the fold-in users' ranks), known to the model or not.
Exclusions read_exclusions(const dist::Comm& comm, const RecommendOptions& o,
                           const model::LoadedModel& loaded, int threads, bool by_id = false) {
  Exclusions excluded;
  excluded.of_row.resize(loaded.users.local_rows());
  if (o.exclude_rated.empty()) return excluded;
  data::LoadOptions load = o.load;
  load.threads = threads;
  load.pairs_once = false;  // a pair rated twice is excluded all the same
  const data::LocalRatings rated = data::read_ratings_here(comm, o.exclude_rated, load);
  const auto user_rows = loaded.users.lookup(comm, rated.user_tokens);
  const auto item_rows = loaded.items.lookup(comm, rated.item_tokens);
  struct Pair {
    std::uint64_t cold_key;  // for a user the model has not seen
    std::uint32_t user;      // its model row, or kUnknownRow
    std::uint32_t item;
  };
  const auto& ownership = loaded.users.ownership();
  std::vector<std::vector<Pair>> by_rank(static_cast<std::size_t>(comm.size()));
  for (std::size_t k = 0; k < rated.size(); ++k) {
    const std::uint32_t u = by_id ? data::kUnknownRow : user_rows[rated.users[k]];
    const std::uint32_t i = item_rows[rated.items[k]];
    if (i == data::kUnknownRow) continue;  // an item the model cannot recommend
    const std::uint64_t key =
        u == data::kUnknownRow ? hash_bytes(rated.user_tokens[rated.users[k]]) : 0;
    const int rank =
        u == data::kUnknownRow ? eval::rank_of_key(key, comm.size()) : ownership.owner(u);
    by_rank[static_cast<std::size_t>(rank)].push_back({key, u, i});
  }
  std::vector<Pair> send;
  std::vector<std::size_t> counts;
  for (const auto& part : by_rank) {
    send.insert(send.end(), part.begin(), part.end());
    counts.push_back(part.size());
  }
  for (const Pair& p : comm.alltoallv<Pair>(send, counts)) {
    if (p.user == data::kUnknownRow) {
      excluded.of_cold[p.cold_key].push_back(p.item);
    } else {
      excluded.of_row[p.user - loaded.users.first_row()].push_back(p.item);
    }
  }
  auto tidy = [](std::vector<std::uint32_t>& items) {
    std::ranges::sort(items);
    items.erase(std::ranges::unique(items).begin(), items.end());
  };
  for (auto& items : excluded.of_row) tidy(items);
  for (auto& [key, items] : excluded.of_cold) tidy(items);
  return excluded;
}

/// --fold-in: the file's users solved against the model's items
/// (eval/fold_in), ranked on the rank each hashes to, their lists written by
/// the rank that read each user's first line, so in first-line order.
int run_fold_in(Context& context, const RecommendOptions& o, const model::LoadedModel& loaded,
                const eval::ItemLists& item_lists, int threads, const std::string& out) {
  const auto& comm = context.comm;
  const model::ModelObjective objective = comm.agree([&] {
    return model::model_objective(loaded.manifest, model::trim_dir(o.model) + "/manifest.json");
  });
  data::LoadOptions load = o.load;
  load.threads = threads;
  const eval::FoldInUsers users = eval::read_fold_in_users(comm, o.fold_in, load, loaded);
  const model::FactorBlock solved =
      eval::fold_in(comm, loaded.model, users.rows, objective, threads);

  // A user's rated items (--exclude-rated) and, then, its fold-in rows.
  std::vector<std::vector<std::uint32_t>> excluded(users.rows.size());
  if (!o.exclude_rated.empty()) {
    const Exclusions rated = read_exclusions(comm, o, loaded, threads, /*by_id=*/true);
    for (std::size_t q = 0; q < users.rows.size(); ++q) {
      std::vector<std::uint32_t>& items = excluded[q];
      items = users.rows[q].items;
      const auto found = rated.of_cold.find(users.keys[q]);
      if (found != rated.of_cold.end()) {
        items.insert(items.end(), found->second.begin(), found->second.end());
      }
      std::ranges::sort(items);
      items.erase(std::ranges::unique(items).begin(), items.end());
    }
  }
  std::vector<std::uint32_t> queries(users.rows.size());
  for (std::size_t q = 0; q < queries.size(); ++q) queries[q] = static_cast<std::uint32_t>(q);
  const auto best = eval::top_n(comm, loaded.model.mu, solved, loaded.model.items, queries,
                                excluded, o.top, threads, item_lists.filter);

  // Lists to the rank that read each user's first line, then in line order.
  std::vector<std::vector<RankedItem>> back(static_cast<std::size_t>(comm.size()));
  for (std::size_t q = 0; q < best.size(); ++q) {
    for (const auto& r : best[q]) {
      back[static_cast<std::size_t>(users.readers[q])].push_back(
          {users.first_lines[q], r.item, r.score});
    }
  }
  const auto id_of_line = [&](std::uint64_t line) -> std::string_view {
    return std::ranges::lower_bound(users.ids_by_line, line, {},
                                    &std::pair<std::uint64_t, std::string>::first)
        ->second;
  };
  const bool to_stdout = write_ranked_lists(comm, loaded.items, back, id_of_line,
                                            "user,rank,item,score", out, o.overwrite);
  context.console.out(
      "wrote the top {} items of {} folded-in users to {} ({} ratings{}; solved with lambda-user "
      "{} and {} weighting{}{}{})\n",
      o.top, users.users, to_stdout ? "standard output" : out, users.ratings,
      users.unknown_items == 0
          ? std::string()
          : fmt::format(", {} of them of items not in the model, ignored", users.unknown_items),
      objective.lambda_user, objective.count_weighting ? "count" : "uniform",
      objective.feedback == model::Feedback::kImplicit
          ? fmt::format(", implicit feedback, alpha {} and {} confidence", objective.alpha,
                        objective.log_confidence ? "log" : "linear")
          : std::string(),
      objective.recorded ? "" : " (the manifest records no options: dmf train's defaults)",
      item_lists.note);
  return 0;
}

int run(Context& context, const RecommendOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  comm.agree([&] {
    const int given = (o.all_users ? 1 : 0) + (o.user.empty() ? 0 : 1) + (o.users.empty() ? 0 : 1) +
                      (o.fold_in.empty() ? 0 : 1);
    DMF_CHECK(given == 1,
              "give exactly one of --user ID, --users FILE, --all-users and --fold-in FILE");
    DMF_CHECK(!o.out.empty() || !o.user.empty(),
              "give --out FILE for the recommendations (or --out - for standard output)");
  });
  // One user's recommendations are a few lines: without --out they are
  // printed.
  const std::string out = o.out.empty() ? std::string(dist::kStdoutPath) : o.out;
  using Kind = io::NamedPath::Kind;
  std::vector<io::NamedPath> inputs{{"--model", o.model, Kind::kDirectory}};
  if (!o.users.empty()) inputs.push_back({"--users", o.users});
  if (!o.fold_in.empty()) inputs.push_back({"--fold-in", o.fold_in});
  if (!o.exclude_rated.empty()) inputs.push_back({"--exclude-rated", o.exclude_rated});
  if (!o.candidates.empty()) inputs.push_back({"--candidates", o.candidates});
  if (!o.exclude.empty()) inputs.push_back({"--exclude", o.exclude});
  check_output_paths(comm, {{"--out", out, Kind::kFile, o.overwrite}},
                     with_config(std::move(inputs), params));
  if (dist::is_stdout(out)) context.console.results_to_stderr();
  const int threads = comm.agree([&] { return resolve_threads(o.threads); });
  const model::LoadedModel loaded = model::read_model_dir(comm, o.model);
  const eval::ItemLists item_lists =
      eval::read_item_lists(comm, o.candidates, o.exclude, o.model, loaded.items);
  if (!o.fold_in.empty()) return run_fold_in(context, o, loaded, item_lists, threads, out);
  const Queries queries = read_queries(comm, o, loaded);
  const auto rows = loaded.users.lookup(comm, queries.tokens);
  const std::uint64_t first_sequence = comm.exscan_sum<std::uint64_t>(rows.size());

  // Cold users: recommended from μ + b_i, left out, or an error.
  std::uint64_t cold_here = 0;
  std::optional<std::string> cold_error;
  for (std::size_t q = 0; q < rows.size(); ++q) {
    if (rows[q] != data::kUnknownRow) continue;
    ++cold_here;
    if (o.cold_start == eval::ColdStart::kError && !cold_error) {
      cold_error =
          queries.lines[q] == 0
              ? fmt::format("user {} is not in the model (see --cold-start)", queries.tokens[q])
              : fmt::format("{}:{}: user {} is not in the model (see --cold-start)", o.users,
                            queries.lines[q], queries.tokens[q]);
    }
  }
  comm.raise_if_any(cold_error);
  const std::uint64_t cold = comm.allreduce(cold_here, dist::Op::kSum);

  // Known users go to the rank that owns their row, cold ones to the rank
  // their ID hashes to.
  const auto& ownership = loaded.users.ownership();
  std::vector<std::vector<Query>> by_rank(static_cast<std::size_t>(comm.size()));
  for (std::size_t q = 0; q < rows.size(); ++q) {
    const bool is_cold = rows[q] == data::kUnknownRow;
    if (is_cold && o.cold_start == eval::ColdStart::kDrop) continue;
    const std::uint64_t key = is_cold ? hash_bytes(queries.tokens[q]) : 0;
    const int rank = is_cold ? eval::rank_of_key(key, comm.size()) : ownership.owner(rows[q]);
    by_rank[static_cast<std::size_t>(rank)].push_back(
        {first_sequence + q, key, rows[q], comm.rank()});
  }
  std::vector<Query> send;
  std::vector<std::size_t> counts;
  for (const auto& part : by_rank) {
    send.insert(send.end(), part.begin(), part.end());
    counts.push_back(part.size());
  }
  const std::vector<Query> mine = comm.alltoallv<Query>(send, counts);
  const Exclusions excluded = read_exclusions(comm, o, loaded, threads);
  std::vector<std::uint32_t> local_queries;  // local user rows, or eval::kColdUser
  std::vector<std::uint64_t> local_sequence;
  std::vector<std::int32_t> reader;
  std::vector<std::vector<std::uint32_t>> excluded_of_query;
  for (const Query& q : mine) {
    local_sequence.push_back(q.sequence);
    reader.push_back(q.reader);
    if (q.row == data::kUnknownRow) {
      local_queries.push_back(eval::kColdUser);
      const auto found = excluded.of_cold.find(q.cold_key);
      excluded_of_query.push_back(found == excluded.of_cold.end() ? std::vector<std::uint32_t>()
                                                                  : found->second);
    } else {
      const std::uint32_t local = q.row - loaded.users.first_row();
      local_queries.push_back(local);
      excluded_of_query.push_back(excluded.of_row[local]);
    }
  }

  const auto best = eval::top_n(comm, loaded.model, local_queries, excluded_of_query, o.top,
                                threads, item_lists.filter);

  // Results back to the rank that read each query, then in query order.
  std::vector<std::vector<RankedItem>> back(static_cast<std::size_t>(comm.size()));
  for (std::size_t q = 0; q < best.size(); ++q) {
    for (const auto& r : best[q]) {
      back[static_cast<std::size_t>(reader[q])].push_back({local_sequence[q], r.item, r.score});
    }
  }
  const bool to_stdout = write_ranked_lists(
      comm, loaded.items, back, [&](std::uint64_t q) { return queries.tokens[q - first_sequence]; },
      "user,rank,item,score", out, o.overwrite);
  const auto users = comm.allreduce<std::uint64_t>(rows.size(), dist::Op::kSum);
  context.console.out("wrote the top {} items of {} users to {} ({} cold users{}{})\n", o.top,
                      users, to_stdout ? "standard output" : out, cold,
                      cold == 0                                ? ""
                      : o.cold_start == eval::ColdStart::kDrop ? ", left out"
                                                               : ", ranked by item bias",
                      item_lists.note);
  return 0;
}

}  // namespace

Command recommend_command() {
  return make_command<RecommendOptions>(
      "recommend", "The top-N items for users of a trained model, by predicted rating", declare,
      run);
}

}  // namespace dmf::cli
