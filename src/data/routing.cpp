#include "routing.hpp"

#include <algorithm>

namespace dmf::data {
namespace {

/// Pairs of a duplicate message shown at most.
constexpr std::size_t kShownDuplicates = 3;

}  // namespace

std::vector<RoutedRating> route(const dist::Comm& comm, const LocalRatings& local, Side side,
                                std::span<const std::uint32_t> user_rows,
                                std::span<const std::uint32_t> item_rows,
                                const Ownership& ownership, std::vector<std::int64_t>& times) {
  const auto parts = static_cast<std::size_t>(comm.size());
  const bool by_user = side == Side::kUsers;
  const auto& row_of_rating = by_user ? local.users : local.items;
  const auto row_rows = by_user ? user_rows : item_rows;
  const auto& column_of_rating = by_user ? local.items : local.users;
  const auto column_rows = by_user ? item_rows : user_rows;

  // The owner of each distinct local token, looked up once.
  std::vector<std::uint32_t> owner(row_rows.size());
  for (std::size_t k = 0; k < row_rows.size(); ++k) {
    owner[k] = static_cast<std::uint32_t>(ownership.owner(row_rows[k]));
  }

  // Counting sort by destination keeps file order within each destination.
  std::vector<std::size_t> counts(parts, 0);
  for (const auto r : row_of_rating) ++counts[owner[r]];
  std::vector<std::size_t> cursor(parts, 0);
  for (std::size_t p = 1; p < parts; ++p) cursor[p] = cursor[p - 1] + counts[p - 1];
  std::vector<RoutedRating> send(local.size());
  std::vector<std::int64_t> send_times(local.times.empty() ? 0 : local.size());
  for (std::size_t k = 0; k < local.size(); ++k) {
    const std::size_t at = cursor[owner[row_of_rating[k]]]++;
    send[at] = {local.lines[k], row_rows[row_of_rating[k]], column_rows[column_of_rating[k]],
                local.values[k], 0};
    if (!send_times.empty()) send_times[at] = local.times[k];
  }
  auto received = comm.alltoallv<RoutedRating>(send, counts);
  // Collective: a rank that holds no ratings has no times either.
  if (comm.any(!local.times.empty())) {
    times = comm.alltoallv<std::int64_t>(send_times, counts);
    for (std::size_t k = 0; k < received.size(); ++k) {
      received[k].time_slot = static_cast<std::uint32_t>(k);
    }
  }
  return received;
}

void raise_duplicates(const dist::Comm& comm, const IdDirectory& users_dir,
                      const IdDirectory& items_dir, const std::string& path,
                      const BlockBuildResult& built, std::uint64_t pairs) {
  auto examples = comm.allgatherv<DuplicateExample>(built.examples);
  std::ranges::sort(examples, {}, &DuplicateExample::first_line);
  if (examples.size() > kShownDuplicates) examples.resize(kShownDuplicates);
  std::vector<std::uint32_t> user_rows;
  std::vector<std::uint32_t> item_rows;
  for (const auto& e : examples) {
    user_rows.push_back(e.row);
    item_rows.push_back(e.column);
  }
  const auto users = users_dir.tokens_of(comm, user_rows);
  const auto items = items_dir.tokens_of(comm, item_rows);
  std::string shown;
  for (std::size_t k = 0; k < examples.size(); ++k) {
    shown += fmt::format("{}user {}, item {} on lines {} and {}", k == 0 ? "" : "; ", users[k],
                         items[k], examples[k].first_line, examples[k].second_line);
  }
  throw Error(fmt::format("{}: {} (user, item) pair{} rated more than once: {}{}. Pass "
                          "--duplicates first|last|mean|sum to merge them",
                          path, pairs, pairs == 1 ? " is" : "s are", shown,
                          pairs > examples.size() ? "; ..." : ""),
              /*collective=*/true);
}

}  // namespace dmf::data
