// merge_duplicate_pairs: the --duplicates rule for ratings read where they
// lie (eval, validation and test sets), by the training data's own code:
// pairs meet on their user's owner rank, where build_block finds and merges
// them in line order.
#include <utility>

#include "dmf/data/local_ratings.hpp"
#include "dmf/data/token_interner.hpp"
#include "routing.hpp"

namespace dmf::data {

LocalRatings merge_duplicate_pairs(const dist::Comm& comm, LocalRatings ratings,
                                   const std::string& path, const LoadOptions& options) {
  if (comm.allreduce<std::uint64_t>(ratings.size(), dist::Op::kSum) == 0) return ratings;
  std::vector<std::uint32_t> user_rows;
  std::vector<std::uint32_t> item_rows;
  std::vector<std::uint64_t> user_counts;
  const IdDirectory users =
      IdDirectory::build(comm, ratings.user_tokens, ratings.user_counts, user_rows, &user_counts);
  const IdDirectory items =
      IdDirectory::build(comm, ratings.item_tokens, ratings.item_counts, item_rows);
  RouteBuffers buffers;
  const BlockBuildResult built =
      route_and_build(comm, ratings, Side::kUsers, user_rows, item_rows, users, user_counts,
                      {.duplicates = options.duplicates,
                       .lines = true,
                       .times = options.keep_time,
                       .threads = options.threads},
                      buffers);
  buffers = RouteBuffers{};
  const std::uint64_t pairs = comm.allreduce(built.duplicate_pairs, dist::Op::kSum);
  if (pairs == 0) return ratings;  // as read: nothing moves
  if (options.duplicates == DuplicatePolicy::kError) {
    raise_duplicates(comm, users, items, path, ratings.line_names, built, pairs);
  }

  // The merged block back as ratings with tokens.
  const SparseBlock& block = built.block;
  const std::vector<std::string> item_tokens = items.tokens_of(comm, block.columns);
  LocalRatings merged;
  merged.lines_seen = ratings.lines_seen;
  merged.lines_per_rank = std::move(ratings.lines_per_rank);
  merged.bad_lines = ratings.bad_lines;
  merged.bad_line_examples = std::move(ratings.bad_line_examples);
  merged.line_names = std::move(ratings.line_names);
  TokenInterner user_ids;
  TokenInterner item_ids;
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    for (std::uint64_t k = block.offsets[r]; k < block.offsets[r + 1]; ++k) {
      const std::uint32_t u = user_ids.intern(users.token(r));
      const std::uint32_t i = item_ids.intern(item_tokens[k]);
      if (u == merged.user_counts.size()) merged.user_counts.push_back(0);
      if (i == merged.item_counts.size()) merged.item_counts.push_back(0);
      ++merged.user_counts[u];
      ++merged.item_counts[i];
      merged.users.push_back(u);
      merged.items.push_back(i);
      merged.values.push_back(block.values[k]);
      merged.lines.push_back(block.lines[k]);
      if (!block.times.empty()) merged.times.push_back(block.times[k]);
    }
  }
  merged.user_tokens = user_ids.release();
  merged.item_tokens = item_ids.release();
  return merged;
}

}  // namespace dmf::data
