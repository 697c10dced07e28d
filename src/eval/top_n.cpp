#include "dmf/eval/top_n.hpp"

#include <algorithm>

#include <Eigen/Core>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/eval/item_ring.hpp"

namespace dmf::eval {
namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Queries scored together (one GEMM per batch and item slice).
constexpr std::size_t kQueryBatch = 64;
/// Items scored at a time: a batch × slice score matrix stays in L2.
constexpr std::size_t kItemSlice = 2048;

/// The n best seen so far, as a heap with the worst on top.
class Best {
 public:
  explicit Best(std::size_t n) : n_(n) { heap_.reserve(n); }

  void offer(const Recommendation& r) {
    if (heap_.size() < n_) {
      heap_.push_back(r);
      std::ranges::push_heap(heap_, better);
    } else if (n_ > 0 && better(r, heap_.front())) {
      std::ranges::pop_heap(heap_, better);
      heap_.back() = r;
      std::ranges::push_heap(heap_, better);
    }
  }

  /// Best first.
  std::vector<Recommendation> take() {
    std::ranges::sort(heap_, better);
    return std::move(heap_);
  }

 private:
  std::size_t n_;
  std::vector<Recommendation> heap_;
};

/// Scores queries [first, first + count) against the packed item rows
/// [0, items) of a block whose first global row is `first_item`, of which
/// only those with `admits[j]` may be listed.
void score_block(double model_mu, const model::FactorBlock& user_rows,
                 std::span<const std::uint32_t> queries,
                 std::span<const std::vector<std::uint32_t>> excluded, std::size_t first,
                 std::size_t count, std::span<const float> block, std::uint32_t first_item,
                 std::size_t items, const std::vector<char>& admits, std::vector<Best>& best) {
  const auto k = static_cast<Eigen::Index>(user_rows.k);
  const std::size_t width = static_cast<std::size_t>(k) + 1;
  const auto mu = static_cast<float>(model_mu);
  RowMajorF users(static_cast<Eigen::Index>(count), k);
  Eigen::VectorXf user_bias(static_cast<Eigen::Index>(count));
  for (std::size_t q = 0; q < count; ++q) {
    const std::uint32_t row = queries[first + q];
    const auto at = static_cast<Eigen::Index>(q);
    if (row == kColdUser) {
      users.row(at).setZero();
      user_bias[at] = 0.0F;
    } else {
      users.row(at) = Eigen::Map<const Eigen::RowVectorXf>(user_rows.row(row).data(), k);
      user_bias[at] = user_rows.bias[row];
    }
  }
  RowMajorF scores;
  for (std::size_t begin = 0; begin < items; begin += kItemSlice) {
    const std::size_t slice = std::min(kItemSlice, items - begin);
    const Eigen::Map<const RowMajorF, 0, Eigen::OuterStride<>> item_rows(
        block.data() + begin * width, static_cast<Eigen::Index>(slice), k,
        Eigen::OuterStride<>(static_cast<Eigen::Index>(width)));
    scores.noalias() = users * item_rows.transpose();
    for (std::size_t q = 0; q < count; ++q) {
      const std::vector<std::uint32_t>* skip = excluded.empty() ? nullptr : &excluded[first + q];
      auto next_skip = skip == nullptr ? std::vector<std::uint32_t>::const_iterator()
                                       : std::ranges::lower_bound(*skip, first_item + begin);
      for (std::size_t j = 0; j < slice; ++j) {
        const auto item = static_cast<std::uint32_t>(first_item + begin + j);
        if (skip != nullptr && next_skip != skip->end() && *next_skip == item) {
          ++next_skip;
          continue;
        }
        if (admits[begin + j] == 0) continue;
        const float bias = block[(begin + j) * width + static_cast<std::size_t>(k)];
        const float score = mu + user_bias[static_cast<Eigen::Index>(q)] + bias +
                            scores(static_cast<Eigen::Index>(q), static_cast<Eigen::Index>(j));
        best[first + q].offer({item, score});
      }
    }
  }
}

}  // namespace

std::vector<std::vector<Recommendation>> top_n(const dist::Comm& comm, const model::Model& model,
                                               std::span<const std::uint32_t> queries,
                                               std::span<const std::vector<std::uint32_t>> excluded,
                                               int n, int threads, const ItemFilter& filter) {
  return top_n(comm, model.mu, model.users, model.items, queries, excluded, n, threads, filter);
}

std::vector<std::vector<Recommendation>> top_n(const dist::Comm& comm, double mu,
                                               const model::FactorBlock& users,
                                               const model::FactorBlock& items,
                                               std::span<const std::uint32_t> queries,
                                               std::span<const std::vector<std::uint32_t>> excluded,
                                               int n, int threads, const ItemFilter& filter) {
  DMF_CHECK(excluded.empty() || excluded.size() == queries.size(),
            "top_n: {} exclusion lists for {} queries", excluded.size(), queries.size());
  DMF_CHECK(n >= 0, "top_n: n = {}", n);
  std::vector<Best> best(queries.size(), Best(static_cast<std::size_t>(n)));
  const std::size_t batches = (queries.size() + kQueryBatch - 1) / kQueryBatch;
  std::vector<char> admits;  // of the block's items, those the filter lets through
  for_each_item_block(
      comm, items, [&](std::uint32_t first_item, std::size_t count, std::span<const float> block) {
        filter.mark(first_item, count, admits);
        parallel_for_dynamic(
            threads, static_cast<std::int64_t>(batches), 1,
            [&](std::int64_t batch, int /*worker*/) {
              const std::size_t first = static_cast<std::size_t>(batch) * kQueryBatch;
              const std::size_t batch_size = std::min(kQueryBatch, queries.size() - first);
              score_block(mu, users, queries, excluded, first, batch_size, block, first_item, count,
                          admits, best);
            });
      });
  std::vector<std::vector<Recommendation>> out;
  out.reserve(best.size());
  for (auto& b : best) out.push_back(b.take());
  return out;
}

}  // namespace dmf::eval
