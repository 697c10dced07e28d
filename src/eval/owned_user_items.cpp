#include "dmf/eval/owned_user_items.hpp"

#include <algorithm>

namespace dmf::eval {
namespace {

/// A pair on its way to the owner of its user.
struct Pair {
  std::uint32_t user = 0;  // global user row
  std::uint32_t item = 0;
  float value = 0.0F;
};

}  // namespace

OwnedUserItems group_by_owned_user(const dist::Comm& comm, const data::IdDirectory& users,
                                   const data::IdDirectory& items,
                                   const data::LocalRatings& ratings) {
  const auto user_rows = users.lookup(comm, ratings.user_tokens);
  const auto item_rows = items.lookup(comm, ratings.item_tokens);
  std::vector<std::vector<Pair>> by_rank(static_cast<std::size_t>(comm.size()));
  std::uint64_t cold_here = 0;
  for (std::size_t k = 0; k < ratings.size(); ++k) {
    const std::uint32_t u = user_rows[ratings.users[k]];
    const std::uint32_t i = item_rows[ratings.items[k]];
    if (u == data::kUnknownRow || i == data::kUnknownRow) {
      ++cold_here;
      continue;
    }
    by_rank[static_cast<std::size_t>(users.ownership().owner(u))].push_back(
        {u, i, ratings.values[k]});
  }
  std::vector<Pair> send;
  std::vector<std::size_t> counts;
  for (const auto& part : by_rank) {
    send.insert(send.end(), part.begin(), part.end());
    counts.push_back(part.size());
  }
  OwnedUserItems out;
  out.of_user.resize(users.local_rows());
  for (const Pair& p : comm.alltoallv<Pair>(send, counts)) {
    out.of_user[p.user - users.first_row()].push_back({p.item, p.value});
  }
  for (auto& list : out.of_user) {
    // By item, the largest value first, then one entry per item.
    std::ranges::sort(list, [](const ItemValue& a, const ItemValue& b) {
      return a.item < b.item || (a.item == b.item && a.value > b.value);
    });
    const auto tail = std::ranges::unique(list, {}, &ItemValue::item);
    list.erase(tail.begin(), tail.end());
  }
  out.cold = comm.allreduce(cold_here, dist::Op::kSum);
  return out;
}

}  // namespace dmf::eval
