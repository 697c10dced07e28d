#include "dmf/eval/similar_items.hpp"

#include <algorithm>
#include <cmath>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/eval/item_ring.hpp"

namespace dmf::eval {
namespace {

/// Σ a_f b_f in double, f in order.
double dot(const float* a, const float* b, std::size_t k) {
  double sum = 0.0;
  for (std::size_t f = 0; f < k; ++f) sum += static_cast<double>(a[f]) * static_cast<double>(b[f]);
  return sum;
}

/// The n closest seen so far, as a heap with the farthest on top.
class Closest {
 public:
  explicit Closest(std::size_t n) : n_(n) {}

  void offer(const SimilarItem& s) {
    if (heap_.size() < n_) {
      heap_.push_back(s);
      std::ranges::push_heap(heap_, closer);
    } else if (n_ > 0 && closer(s, heap_.front())) {
      std::ranges::pop_heap(heap_, closer);
      heap_.back() = s;
      std::ranges::push_heap(heap_, closer);
    }
  }

  /// Best first.
  std::vector<SimilarItem> take() {
    std::ranges::sort(heap_, closer);
    return std::move(heap_);
  }

 private:
  std::size_t n_;
  std::vector<SimilarItem> heap_;
};

}  // namespace

double cosine(std::span<const float> a, std::span<const float> b) {
  const double norms =
      std::sqrt(dot(a.data(), a.data(), a.size())) * std::sqrt(dot(b.data(), b.data(), b.size()));
  return norms == 0.0 ? 0.0 : dot(a.data(), b.data(), a.size()) / norms;
}

std::vector<std::vector<SimilarItem>> similar_items(const dist::Comm& comm,
                                                    const model::FactorBlock& items,
                                                    std::span<const std::uint32_t> queries, int n,
                                                    int threads, const ItemFilter& filter) {
  DMF_CHECK(n >= 0, "similar_items: n = {}", n);
  const auto k = static_cast<std::size_t>(items.k);
  const std::size_t width = k + 1;  // packed rows: [factors..., bias]
  std::vector<double> query_norms(queries.size());
  for (std::size_t q = 0; q < queries.size(); ++q) {
    DMF_CHECK(queries[q] < items.rows, "similar_items: query row {} of {}", queries[q], items.rows);
    const float* row = items.row(queries[q]).data();
    query_norms[q] = std::sqrt(dot(row, row, k));
  }
  std::vector<Closest> closest(queries.size(), Closest(static_cast<std::size_t>(n)));
  std::vector<char> admits;
  std::vector<double> norms;  // of the block's rows
  for_each_item_block(
      comm, items, [&](std::uint32_t first_item, std::size_t count, std::span<const float> rows) {
        filter.mark(first_item, count, admits);
        norms.resize(count);
        for (std::size_t j = 0; j < count; ++j) {
          const float* row = rows.data() + j * width;
          norms[j] = std::sqrt(dot(row, row, k));
        }
        parallel_for_dynamic(threads, static_cast<std::int64_t>(queries.size()), 1,
                             [&](std::int64_t at, int /*worker*/) {
                               const auto q = static_cast<std::size_t>(at);
                               const float* p = items.row(queries[q]).data();
                               const std::uint32_t self = items.first_row + queries[q];
                               for (std::size_t j = 0; j < count; ++j) {
                                 const auto item = static_cast<std::uint32_t>(first_item + j);
                                 if (item == self || admits[j] == 0) continue;
                                 // The same operations as cosine(), so a score is the same
                                 // bits whichever rank computes it.
                                 const double product = query_norms[q] * norms[j];
                                 const double score =
                                     product == 0.0 ? 0.0
                                                    : dot(p, rows.data() + j * width, k) / product;
                                 closest[q].offer({item, score});
                               }
                             });
      });
  std::vector<std::vector<SimilarItem>> out;
  out.reserve(closest.size());
  for (auto& c : closest) out.push_back(c.take());
  return out;
}

}  // namespace dmf::eval
