#include "dmf/cli/ranked_lists.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "dmf/dist/ordered_output.hpp"

namespace dmf::cli {

bool write_ranked_lists(const dist::Comm& comm, const data::IdDirectory& items,
                        const std::vector<std::vector<RankedItem>>& back, const QueryName& name_of,
                        std::string_view header, const std::string& out, bool overwrite) {
  std::vector<RankedItem> send;
  std::vector<std::size_t> counts;
  for (const auto& part : back) {
    send.insert(send.end(), part.begin(), part.end());
    counts.push_back(part.size());
  }
  std::vector<RankedItem> lists = comm.alltoallv<RankedItem>(send, counts);
  // Stable: each query's items arrive best first from one rank.
  std::ranges::stable_sort(lists, {}, &RankedItem::sequence);
  std::vector<std::uint32_t> rows(lists.size());
  std::ranges::transform(lists, rows.begin(), &RankedItem::item);
  const auto item_tokens = items.tokens_of(comm, rows);

  dist::OrderedOutput writer(comm, out, overwrite);
  writer.append(comm.is_root() ? std::string(header) + "\n" : "");
  std::string text;
  for (std::size_t k = 0, rank = 1; k < lists.size(); ++k, ++rank) {
    if (k > 0 && lists[k].sequence != lists[k - 1].sequence) rank = 1;
    fmt::format_to(std::back_inserter(text), "{},{},{},{}\n", name_of(lists[k].sequence), rank,
                   item_tokens[k], lists[k].score);
  }
  writer.append(text);
  writer.commit();
  return writer.to_stdout();
}

}  // namespace dmf::cli
