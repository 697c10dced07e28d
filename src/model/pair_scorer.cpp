#include "dmf/model/pair_scorer.hpp"

#include <algorithm>

#include "dmf/core/parallel.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/model/row_pack.hpp"

namespace dmf::model {
namespace {

/// Products (k + 1 per pair) a thread must have before a second one pays:
/// about a third of a millisecond of work. A validation set of some
/// thousand pairs scored on two threads of a loaded machine took several
/// times as long as on one, waiting for the second thread.
constexpr std::uint64_t kScoringWorkPerThread = std::uint64_t{1} << 20;

}  // namespace

PairScorer::PairScorer(const dist::Comm& comm, const Model& model, std::vector<RowPair> pairs)
    : pairs_(std::move(pairs)) {
  for (const auto& p : pairs_) {
    DMF_CHECK(p.user == data::kUnknownRow || p.user < model.users.total_rows,
              "PairScorer: user row {} of {}", p.user, model.users.total_rows);
    DMF_CHECK(p.item == data::kUnknownRow || p.item < model.items.total_rows,
              "PairScorer: item row {} of {}", p.item, model.items.total_rows);
    if (p.user == data::kUnknownRow || p.item == data::kUnknownRow) ++cold_;
  }
  const auto users = row_boundaries(comm, model.users);
  const auto items = row_boundaries(comm, model.items);
  const auto parts = static_cast<std::size_t>(comm.size());
  const auto me = static_cast<std::size_t>(comm.rank());

  // A rank's rows of both sides in one numbering: its users, then its
  // items. The rows wanted from other ranks, in that numbering offset by
  // the owner's start, ascending and distinct: each owner's are one run.
  std::vector<std::uint64_t> starts(parts + 1, 0);
  for (std::size_t p = 0; p < parts; ++p) {
    starts[p + 1] = starts[p] + (users[p + 1] - users[p]) + (items[p + 1] - items[p]);
  }
  const auto owner = [&](const std::vector<std::uint32_t>& b, std::uint32_t row) {
    return static_cast<std::size_t>(std::ranges::upper_bound(b, row) - b.begin()) - 1;
  };
  const auto combined = [&](bool item, std::uint32_t row) {
    const std::size_t p = owner(item ? items : users, row);
    return starts[p] + (item ? (users[p + 1] - users[p]) + (row - items[p]) : row - users[p]);
  };
  std::vector<std::uint64_t> wanted;
  for (const auto& p : pairs_) {
    if (p.user != data::kUnknownRow && owner(users, p.user) != me) {
      wanted.push_back(combined(false, p.user));
    }
    if (p.item != data::kUnknownRow && owner(items, p.item) != me) {
      wanted.push_back(combined(true, p.item));
    }
  }
  std::ranges::sort(wanted);
  wanted.erase(std::ranges::unique(wanted).begin(), wanted.end());
  fetched_rows_ = wanted.size();

  DMF_CHECK(wanted.size() < kFetched && users[me + 1] - users[me] < kFetched &&
                items[me + 1] - items[me] < kFetched,
            "PairScorer: {} rows to fetch, {} users and {} items here: 2^31 at most", wanted.size(),
            users[me + 1] - users[me], items[me + 1] - items[me]);
  const auto slot = [&](bool item, std::uint32_t row) {
    if (row == data::kUnknownRow) return data::kUnknownRow;
    const auto& b = item ? items : users;
    if (owner(b, row) == me) return row - b[me];
    const auto at = std::ranges::lower_bound(wanted, combined(item, row)) - wanted.begin();
    return static_cast<std::uint32_t>(at) | kFetched;
  };
  user_slot_.reserve(pairs_.size());
  item_slot_.reserve(pairs_.size());
  for (const auto& p : pairs_) {
    user_slot_.push_back(slot(false, p.user));
    item_slot_.push_back(slot(true, p.item));
  }

  // Ask each owner for its run of `wanted`, as its own numbering.
  std::vector<std::size_t> asks(parts, 0);
  std::vector<std::uint32_t> requests;
  requests.reserve(wanted.size());
  for (const std::uint64_t row : wanted) {
    const auto p =
        static_cast<std::size_t>(std::ranges::upper_bound(starts, row) - starts.begin()) - 1;
    ++asks[p];
    requests.push_back(static_cast<std::uint32_t>(row - starts[p]));
  }
  fetch_counts_.assign(asks.begin(), asks.end());
  std::vector<std::size_t> asked;
  served_ = comm.alltoallv<std::uint32_t>(requests, asks, &asked);
  serve_counts_.assign(asked.begin(), asked.end());
}

void PairScorer::predict(const dist::Comm& comm, const Model& model, std::span<float> out,
                         int threads) const {
  DMF_CHECK(out.size() == pairs_.size(), "PairScorer: {} outputs for {} pairs", out.size(),
            pairs_.size());
  const auto k = static_cast<std::size_t>(model.k);
  const std::size_t width = k + 1;  // a row's factors, then its bias
  if (comm.size() > 1) {
    // The rows others asked for, straight from the model, in one exchange.
    send_.resize(served_.size() * width);
    for (std::size_t n = 0; n < served_.size(); ++n) {
      const std::uint32_t row = served_[n];
      const bool item = row >= model.users.rows;
      const FactorBlock& side = item ? model.items : model.users;
      const std::uint32_t local = item ? row - model.users.rows : row;
      DMF_CHECK(local < side.rows, "PairScorer: row {} asked of {}", local, side.rows);
      float* to = send_.data() + n * width;
      std::ranges::copy(side.row(local), to);
      to[k] = side.bias[local];
    }
    fetched_.resize(fetched_rows_ * width);
    comm.alltoallv_bytes(std::as_bytes(std::span<const float>(send_)), serve_counts_, fetch_counts_,
                         width * sizeof(float), std::as_writable_bytes(std::span<float>(fetched_)));
  }

  const auto mu = static_cast<float>(model.mu);
  // A side's factors (empty when cold) and bias.
  const auto row_of = [&](std::uint32_t slot, const FactorBlock& side) {
    struct Row {
      std::span<const float> factors;
      float bias;
    };
    if (slot == data::kUnknownRow) return Row{{}, 0.0F};
    if ((slot & kFetched) != 0) {
      const std::span<const float> r =
          std::span<const float>(fetched_).subspan((slot & ~kFetched) * width, width);
      return Row{r.first(k), r[k]};
    }
    return Row{side.row(slot), side.bias[slot]};
  };
  const std::uint64_t work = pairs_.size() * width;
  const int used = static_cast<int>(std::min<std::uint64_t>(
      static_cast<std::uint64_t>(std::max(threads, 1)), 1 + work / kScoringWorkPerThread));
  parallel_for(used, static_cast<std::int64_t>(pairs_.size()), [&](std::int64_t n) {
    const auto at = static_cast<std::size_t>(n);
    const auto p = row_of(user_slot_[at], model.users);
    const auto q = row_of(item_slot_[at], model.items);
    const bool cold = user_slot_[at] == data::kUnknownRow || item_slot_[at] == data::kUnknownRow;
    out[at] =
        cold ? mu + p.bias + q.bias : model::predict(mu, p.bias, q.bias, p.factors, q.factors);
  });
}

}  // namespace dmf::model
