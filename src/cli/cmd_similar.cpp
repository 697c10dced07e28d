// dmf similar: the items most like one item, or each item of a file, by the
// cosine of their factors (eval/similar_items), distributed like recommend:
// each query goes to the rank that owns its item's row, which scores it
// against every item block in turn; the lists come back to the rank that
// read the query and are written in query order.
#include <algorithm>
#include <optional>

#include "dmf/cli/commands_list.hpp"
#include "dmf/cli/load_options.hpp"
#include "dmf/cli/model_input.hpp"
#include "dmf/cli/output_checks.hpp"
#include "dmf/cli/ranked_lists.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/dist/ordered_output.hpp"
#include "dmf/eval/id_list.hpp"
#include "dmf/eval/similar_items.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::cli {
namespace {

struct SimilarOptions {
  std::string model;
  std::string item;
  std::string items;
  std::string candidates;
  std::string exclude;
  int top = 10;
  std::string out;
  bool overwrite = false;
  int threads = 0;
};

void declare(ParamSet& params, SimilarOptions& o) {
  params.section("Input");
  declare_model(params, o.model);
  params.add("item", &o.item, "The items most similar to this one item ID").value_name("ID");
  params
      .add("items", &o.items,
           "The items most similar to each item ID of this file, one per line; IDs the model "
           "does not have are left out and counted")
      .value_name("FILE");
  params
      .add("candidates", &o.candidates,
           "List only the items of this file, one ID a line (an allow-list); IDs the model does "
           "not have are counted and ignored")
      .value_name("FILE");
  params
      .add("exclude", &o.exclude, "Never list the items of this file, one ID a line (a deny-list)")
      .value_name("FILE");
  params.section("Similarity");
  params
      .add("top", &o.top,
           "Items per query item, most similar first (by the cosine of the factors; never the "
           "item itself); ties go to the lower item ID")
      .value_name("N")
      .at_least(1);
  declare_threads(params, o.threads);
  params.section("Output");
  params
      .add("out", &o.out,
           "CSV with a header line item,rank,similar,score: N lines per query item, in the order "
           "given; - for standard output, where --item ID without --out writes too")
      .value_name("FILE");
  params.flag("overwrite", &o.overwrite, "Replace --out if it exists");
  params.example("dmf similar --model model --item 1196 --top 10",
                 "The 10 items whose factors are closest in direction to item 1196's");
  params.example(
      "mpirun -n 4 dmf similar --model model --items catalogue.txt --top 20 --out "
      "similar.csv",
      "The 20 most similar items of each item of a file, on 4 ranks");
}

/// A query item on its way to the rank that owns its row.
struct SimilarQuery {
  std::uint64_t sequence = 0;  // among all queries: the output order
  std::uint32_t row = 0;       // global item row
  std::int32_t reader = 0;     // the rank that read it, where its list goes
};

int run(Context& context, const SimilarOptions& o, const ParamSet& params) {
  const auto& comm = context.comm;
  comm.agree([&] {
    DMF_CHECK(o.item.empty() != o.items.empty(), "give exactly one of --item ID and --items FILE");
    DMF_CHECK(!o.out.empty() || !o.item.empty(),
              "give --out FILE for the lists (or --out - for standard output)");
  });
  const std::string out = o.out.empty() ? std::string(dist::kStdoutPath) : o.out;
  using Kind = io::NamedPath::Kind;
  std::vector<io::NamedPath> inputs{{"--model", o.model, Kind::kDirectory}};
  if (!o.items.empty()) inputs.push_back({"--items", o.items});
  if (!o.candidates.empty()) inputs.push_back({"--candidates", o.candidates});
  if (!o.exclude.empty()) inputs.push_back({"--exclude", o.exclude});
  check_output_paths(comm, {{"--out", out, Kind::kFile, o.overwrite}},
                     with_config(std::move(inputs), params));
  if (dist::is_stdout(out)) context.console.results_to_stderr();
  const int threads = comm.agree([&] { return resolve_threads(o.threads); });
  const model::LoadedModel loaded = model::read_model_dir(comm, o.model);
  const eval::ItemLists item_lists =
      eval::read_item_lists(comm, o.candidates, o.exclude, o.model, loaded.items);

  eval::IdLines queries;
  if (!o.item.empty()) {
    if (comm.is_root()) queries.ids.push(o.item);
  } else {
    queries = eval::read_id_lines(comm, o.items);
  }
  const auto rows = loaded.items.lookup(comm, queries.ids);
  // One item asked for that the model does not have is an error; in a file
  // (often a catalogue with items newer than the model) it is left out and
  // counted.
  std::uint64_t unknown_here = 0;
  for (const std::uint32_t row : rows) unknown_here += row == data::kUnknownRow ? 1 : 0;
  comm.agree([&] {
    DMF_CHECK(o.item.empty() || unknown_here == 0, "item {} is not in the model {}", o.item,
              o.model);
  });
  const std::uint64_t unknown = comm.allreduce(unknown_here, dist::Op::kSum);

  // Queries to the owners of their rows.
  const std::uint64_t first_sequence = comm.exscan_sum<std::uint64_t>(rows.size());
  const auto& ownership = loaded.items.ownership();
  std::vector<std::vector<SimilarQuery>> by_rank(static_cast<std::size_t>(comm.size()));
  for (std::size_t q = 0; q < rows.size(); ++q) {
    if (rows[q] == data::kUnknownRow) continue;
    by_rank[static_cast<std::size_t>(ownership.owner(rows[q]))].push_back(
        {first_sequence + q, rows[q], comm.rank()});
  }
  std::vector<SimilarQuery> send;
  std::vector<std::size_t> counts;
  for (const auto& part : by_rank) {
    send.insert(send.end(), part.begin(), part.end());
    counts.push_back(part.size());
  }
  const std::vector<SimilarQuery> mine = comm.alltoallv<SimilarQuery>(send, counts);
  std::vector<std::uint32_t> local_rows;
  local_rows.reserve(mine.size());
  for (const SimilarQuery& q : mine) local_rows.push_back(q.row - loaded.items.first_row());
  const auto lists =
      eval::similar_items(comm, loaded.model.items, local_rows, o.top, threads, item_lists.filter);
  std::uint64_t zero_here = 0;
  for (const std::uint32_t row : local_rows) {
    const auto factors = loaded.model.items.row(row);
    zero_here += std::ranges::all_of(factors, [](float f) { return f == 0.0F; }) ? 1 : 0;
  }
  const std::uint64_t zero = comm.allreduce(zero_here, dist::Op::kSum);

  // Lists back to the rank that read each query, then in query order.
  std::vector<std::vector<RankedItem>> back(static_cast<std::size_t>(comm.size()));
  for (std::size_t q = 0; q < lists.size(); ++q) {
    for (const auto& s : lists[q]) {
      back[static_cast<std::size_t>(mine[q].reader)].push_back(
          {mine[q].sequence, s.item, static_cast<float>(s.score)});
    }
  }
  const bool to_stdout = write_ranked_lists(
      comm, loaded.items, back, [&](std::uint64_t q) { return queries.ids[q - first_sequence]; },
      "item,rank,similar,score", out, o.overwrite);
  const auto asked = comm.allreduce<std::uint64_t>(rows.size(), dist::Op::kSum);
  std::string notes;
  if (unknown > 0) notes += fmt::format("; {} not in the model, left out", unknown);
  if (zero > 0) notes += fmt::format("; {} with all-zero factors, cosine 0 with every item", zero);
  context.console.out("wrote the {} most similar items of {} items to {}{}{}\n", o.top, asked,
                      to_stdout ? "standard output" : out, notes, item_lists.note);
  return 0;
}

}  // namespace

Command similar_command() {
  return make_command<SimilarOptions>(
      "similar", "The items most similar to given items, by the cosine of their factors", declare,
      run);
}

}  // namespace dmf::cli
