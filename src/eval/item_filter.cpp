#include "dmf/eval/item_filter.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dmf/core/error.hpp"

#include "dmf/eval/id_list.hpp"

namespace dmf::eval {

ItemList read_item_list(const dist::Comm& comm, const std::string& path,
                        const data::IdDirectory& items) {
  const IdLines lines = read_id_lines(comm, path);
  const std::vector<std::uint32_t> rows = items.lookup(comm, lines.ids);
  std::vector<std::uint32_t> known;
  std::uint64_t unknown = 0;
  for (const std::uint32_t row : rows) {
    if (row == data::kUnknownRow) {
      ++unknown;
    } else {
      known.push_back(row);
    }
  }
  ItemList list;
  list.rows = comm.allgatherv<std::uint32_t>(known);
  std::ranges::sort(list.rows);
  list.rows.erase(std::ranges::unique(list.rows).begin(), list.rows.end());
  list.ids = comm.allreduce<std::uint64_t>(rows.size(), dist::Op::kSum);
  list.unknown = comm.allreduce<std::uint64_t>(unknown, dist::Op::kSum);
  return list;
}

void ItemFilter::mark(std::uint32_t first, std::size_t count, std::vector<char>& admits) const {
  const auto end = static_cast<std::uint32_t>(first + count);
  const auto in_range = [&](const std::vector<std::uint32_t>& rows, auto&& each) {
    for (auto it = std::ranges::lower_bound(rows, first); it != rows.end() && *it < end; ++it) {
      each(*it - first);
    }
  };
  admits.assign(count, allowed ? 0 : 1);
  if (allowed) in_range(*allowed, [&](std::uint32_t j) { admits[j] = 1; });
  in_range(denied, [&](std::uint32_t j) { admits[j] = 0; });
}

std::uint64_t ItemFilter::admitted(std::uint32_t total) const {
  const auto denied_among = [&](const std::vector<std::uint32_t>& rows) {
    std::uint64_t n = 0;
    for (const std::uint32_t row : rows) n += std::ranges::binary_search(denied, row) ? 1 : 0;
    return n;
  };
  if (allowed) return allowed->size() - denied_among(*allowed);
  std::uint64_t denied_here = 0;
  for (const std::uint32_t row : denied) denied_here += row < total ? 1 : 0;
  return total - denied_here;
}

ItemLists read_item_lists(const dist::Comm& comm, const std::string& candidates,
                          const std::string& exclude, const std::string& model,
                          const data::IdDirectory& items) {
  ItemLists lists;
  std::vector<std::string> notes;
  const auto unknown = [](const ItemList& list) {
    return list.unknown == 0 ? std::string()
                             : fmt::format(", {} of its {} IDs not in the model, ignored",
                                           list.unknown, list.ids);
  };
  if (!candidates.empty()) {
    ItemList list = read_item_list(comm, candidates, items);
    comm.agree([&] {
      DMF_CHECK(list.ids > 0, "--candidates {} holds no item ID", candidates);
      DMF_CHECK(!list.rows.empty(), "--candidates {}: none of its {} item IDs is in the model {}",
                candidates, list.ids, model);
    });
    notes.push_back(fmt::format("--candidates: {} items{}", list.rows.size(), unknown(list)));
    lists.filter.allowed = std::move(list.rows);
  }
  if (!exclude.empty()) {
    ItemList list = read_item_list(comm, exclude, items);
    notes.push_back(fmt::format("--exclude: {} items{}", list.rows.size(), unknown(list)));
    lists.filter.denied = std::move(list.rows);
  }
  if (!notes.empty()) {
    lists.note = fmt::format("; {} of {} items may be listed ({})",
                             lists.filter.admitted(items.total_rows()), items.total_rows(),
                             fmt::join(notes, "; "));
  }
  return lists;
}

}  // namespace dmf::eval
