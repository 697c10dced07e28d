#include "dmf/data/id_directory.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <ranges>

#include "dmf/dist/strings.hpp"

namespace dmf::data {
namespace {

/// Regular samples taken per rank to choose the sample sort's splitters.
constexpr std::size_t kSamplesPerRank = 64;

/// Tokens (and numbers) written one after another into a byte buffer, to
/// travel through one alltoallv.
class Packer {
 public:
  void token(std::string_view text) {
    value(static_cast<std::uint32_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
  }
  template <class T>
  void value(T v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
  [[nodiscard]] const std::vector<char>& bytes() const noexcept { return bytes_; }

 private:
  std::vector<char> bytes_;
};

class Unpacker {
 public:
  explicit Unpacker(std::span<const char> bytes) : bytes_(bytes) {}
  [[nodiscard]] bool done() const noexcept { return position_ >= bytes_.size(); }
  std::string_view token() {
    const auto length = value<std::uint32_t>();
    const std::string_view text(bytes_.data() + position_, length);
    position_ += length;
    return text;
  }
  template <class T>
  T value() {
    T v;
    std::memcpy(&v, bytes_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return v;
  }

 private:
  std::span<const char> bytes_;
  std::size_t position_ = 0;
};

/// Sends each rank's packed bytes; `per_rank[p]` is the bytes for rank p.
std::vector<char> exchange_packed(const dist::Comm& comm, const std::vector<Packer>& per_rank,
                                  std::vector<std::size_t>* recv_counts = nullptr) {
  std::vector<char> send;
  std::vector<std::size_t> counts;
  for (const auto& packer : per_rank) {
    send.insert(send.end(), packer.bytes().begin(), packer.bytes().end());
    counts.push_back(packer.size());
  }
  return comm.alltoallv<char>(send, counts, recv_counts);
}

/// Calls visit(source, in) for each rank's bytes in `received`, where
/// `bytes[p]` of them came from rank p (as exchange_packed() returns them).
template <class Visit>
void for_each_source(const std::vector<char>& received, const std::vector<std::size_t>& bytes,
                     Visit&& visit) {
  std::size_t offset = 0;
  for (std::size_t source = 0; source < bytes.size(); ++source) {
    Unpacker in{std::span<const char>(received).subspan(offset, bytes[source])};
    visit(source, in);
    offset += bytes[source];
  }
}

/// P-1 splitters from a regular sample of every rank's sorted tokens.
std::vector<std::string> choose_splitters(const dist::Comm& comm, const TokenTable& tokens,
                                          std::span<const std::uint32_t> sorted,
                                          const TokenOrder& order) {
  std::vector<std::string> samples;
  const std::size_t take = std::min(sorted.size(), kSamplesPerRank);
  for (std::size_t k = 0; k < take; ++k) {
    samples.emplace_back(tokens[sorted[k * sorted.size() / take]]);
  }
  auto all = dist::allgather_strings(comm, samples);
  std::ranges::sort(all, order);
  std::vector<std::string> splitters;
  const auto parts = static_cast<std::size_t>(comm.size());
  for (std::size_t j = 1; j < parts && !all.empty(); ++j) {
    splitters.push_back(all[j * all.size() / parts]);
  }
  return splitters;
}

/// One distinct token held by its sorter rank after the sample sort.
struct SortedToken {
  std::string_view text;
  std::uint64_t count = 0;
};

}  // namespace

IdDirectory IdDirectory::build(const dist::Comm& comm, const TokenTable& local_tokens,
                               std::span<const std::uint64_t> local_counts,
                               std::vector<std::uint32_t>& global_of_local,
                               std::vector<std::uint64_t>* owned_counts) {
  const auto parts = static_cast<std::size_t>(comm.size());
  IdDirectory directory;

  // The canonical order: numeric only if every token on every rank is an integer.
  bool all_integers = true;
  for (std::size_t k = 0; k < local_tokens.size() && all_integers; ++k) {
    all_integers = is_canonical_integer(local_tokens[k]);
  }
  directory.order_ = TokenOrder(comm.all(all_integers));
  const TokenOrder order = directory.order_;

  std::vector<std::uint32_t> sorted(local_tokens.size());
  std::iota(sorted.begin(), sorted.end(), 0U);
  std::ranges::sort(sorted, [&](std::uint32_t a, std::uint32_t b) {
    return order(local_tokens[a], local_tokens[b]);
  });

  // Sample sort: each sorter rank receives one range of the token order, the
  // same token from every rank landing on the same sorter.
  const auto splitters = choose_splitters(comm, local_tokens, sorted, order);
  std::vector<Packer> to_sorter(parts);
  std::vector<std::uint64_t> sent_per_sorter(parts, 0);
  {
    std::size_t sorter = 0;
    for (const auto k : sorted) {
      const std::string_view text = local_tokens[k];
      while (sorter < splitters.size() && !order(text, splitters[sorter])) ++sorter;
      to_sorter[sorter].token(text);
      to_sorter[sorter].value(local_counts[k]);
      ++sent_per_sorter[sorter];
    }
  }
  std::vector<std::size_t> received_bytes;
  const std::vector<char> received = exchange_packed(comm, to_sorter, &received_bytes);
  to_sorter.clear();

  // Merge: sort what arrived and combine equal tokens, remembering for each
  // arrival its distinct index so the sender can be told its global row.
  std::vector<SortedToken> arrivals;
  std::vector<std::uint64_t> arrivals_per_source(parts, 0);
  for_each_source(received, received_bytes, [&](std::size_t source, Unpacker& in) {
    while (!in.done()) {
      const std::string_view text = in.token();
      arrivals.push_back({text, in.value<std::uint64_t>()});
      ++arrivals_per_source[source];
    }
  });
  std::vector<std::uint32_t> by_token(arrivals.size());
  std::iota(by_token.begin(), by_token.end(), 0U);
  std::ranges::stable_sort(by_token, [&](std::uint32_t a, std::uint32_t b) {
    return order(arrivals[a].text, arrivals[b].text);
  });
  std::vector<SortedToken> distinct;
  std::vector<std::uint32_t> distinct_of_arrival(arrivals.size());
  for (const auto a : by_token) {
    if (distinct.empty() || distinct.back().text != arrivals[a].text) {
      distinct.push_back({arrivals[a].text, 0});
    }
    distinct.back().count += arrivals[a].count;
    distinct_of_arrival[a] = static_cast<std::uint32_t>(distinct.size() - 1);
  }

  // Global rows and ownership by ratings.
  const auto mine = static_cast<std::uint64_t>(distinct.size());
  const std::uint64_t row_base = comm.exscan_sum(mine);
  const std::uint64_t total_rows = comm.allreduce(mine, dist::Op::kSum);
  DMF_CHECK(total_rows < kUnknownRow, "{} distinct IDs: more than dmf supports ({})", total_rows,
            kUnknownRow - 1);
  std::uint64_t my_ratings = 0;
  for (const auto& t : distinct) my_ratings += t.count;
  std::uint64_t prefix = comm.exscan_sum(my_ratings);
  const std::uint64_t total_ratings = comm.allreduce(my_ratings, dist::Op::kSum);

  std::vector<int> owner_of_distinct(distinct.size());
  std::vector<std::uint32_t> begin(parts + 1, static_cast<std::uint32_t>(total_rows));
  for (std::size_t d = 0; d < distinct.size(); ++d) {
    const int owner = part_of(prefix, distinct[d].count, total_ratings, comm.size());
    owner_of_distinct[d] = owner;
    auto& first = begin[static_cast<std::size_t>(owner)];
    first = std::min(first, static_cast<std::uint32_t>(row_base + d));
    prefix += distinct[d].count;
  }
  comm.allreduce(std::span(begin), dist::Op::kMin);
  for (std::size_t p = parts; p-- > 0;) begin[p] = std::min(begin[p], begin[p + 1]);
  directory.ownership_ = Ownership(std::move(begin));
  directory.first_row_ = directory.ownership_.begin(comm.rank());

  // Tell every sender the global rows of the tokens it sent, in its order.
  std::vector<std::uint32_t> replies(arrivals.size());
  for (std::size_t a = 0; a < arrivals.size(); ++a) {
    replies[a] = static_cast<std::uint32_t>(row_base + distinct_of_arrival[a]);
  }
  std::vector<std::size_t> reply_counts(arrivals_per_source.begin(), arrivals_per_source.end());
  const auto rows_of_sorted = comm.alltoallv<std::uint32_t>(replies, reply_counts);
  global_of_local.assign(local_tokens.size(), kUnknownRow);
  for (std::size_t k = 0; k < sorted.size(); ++k) global_of_local[sorted[k]] = rows_of_sorted[k];

  // Hand each owner the tokens of its rows; sorters hold increasing ranges,
  // so what arrives in source order is already in canonical order.
  std::vector<Packer> to_owner(parts);
  for (std::size_t d = 0; d < distinct.size(); ++d) {
    to_owner[static_cast<std::size_t>(owner_of_distinct[d])].token(distinct[d].text);
    to_owner[static_cast<std::size_t>(owner_of_distinct[d])].value(distinct[d].count);
  }
  const std::vector<char> owned = exchange_packed(comm, to_owner);
  Unpacker in(owned);
  if (owned_counts != nullptr) owned_counts->clear();
  while (!in.done()) {
    directory.tokens_.push(in.token());
    const auto count = in.value<std::uint64_t>();
    if (owned_counts != nullptr) owned_counts->push_back(count);
  }
  DMF_CHECK(directory.tokens_.size() == directory.ownership_.rows(comm.rank()),
            "internal: rank {} received {} IDs for {} rows", comm.rank(), directory.tokens_.size(),
            directory.ownership_.rows(comm.rank()));

  const std::string first =
      directory.tokens_.empty() ? std::string() : std::string(directory.tokens_[0]);
  directory.first_tokens_ = dist::allgather_strings(comm, std::span(&first, 1));
  return directory;
}

std::vector<std::uint32_t> IdDirectory::lookup(const dist::Comm& comm,
                                               const TokenTable& queries) const {
  const auto parts = static_cast<std::size_t>(comm.size());
  // The owner that would hold a token: the last non-empty part whose first
  // token is not after it.
  std::vector<int> target(queries.size(), -1);
  std::vector<Packer> to_owner(parts);
  std::vector<std::size_t> asked(parts, 0);
  for (std::size_t q = 0; q < queries.size(); ++q) {
    for (std::size_t p = parts; p-- > 0;) {
      if (ownership_.rows(static_cast<int>(p)) == 0) continue;
      if (!order_(queries[q], first_tokens_[p])) {
        target[q] = static_cast<int>(p);
        break;
      }
    }
    if (target[q] < 0) continue;  // before every known token: unknown
    to_owner[static_cast<std::size_t>(target[q])].token(queries[q]);
    ++asked[static_cast<std::size_t>(target[q])];
  }
  std::vector<std::size_t> received_bytes;
  const std::vector<char> received = exchange_packed(comm, to_owner, &received_bytes);

  std::vector<std::uint32_t> answers;
  std::vector<std::size_t> answers_per_source(parts, 0);
  for_each_source(received, received_bytes, [&](std::size_t source, Unpacker& in) {
    while (!in.done()) {
      const std::string_view text = in.token();
      // tokens_ is sorted by order_: the first row not before the token.
      const std::uint32_t at = *std::ranges::partition_point(
          std::views::iota(0U, local_rows()),
          [&](std::uint32_t row) { return order_(tokens_[row], text); });
      answers.push_back(at < local_rows() && tokens_[at] == text ? first_row_ + at : kUnknownRow);
      ++answers_per_source[source];
    }
  });
  const auto replies = comm.alltoallv<std::uint32_t>(answers, answers_per_source);

  std::vector<std::uint32_t> rows(queries.size(), kUnknownRow);
  std::vector<std::size_t> cursor(parts, 0);
  for (std::size_t p = 1; p < parts; ++p) cursor[p] = cursor[p - 1] + asked[p - 1];
  for (std::size_t q = 0; q < queries.size(); ++q) {
    if (target[q] >= 0) rows[q] = replies[cursor[static_cast<std::size_t>(target[q])]++];
  }
  return rows;
}

std::vector<std::string> IdDirectory::tokens_of(const dist::Comm& comm,
                                                std::span<const std::uint32_t> rows) const {
  const auto parts = static_cast<std::size_t>(comm.size());
  std::vector<std::vector<std::uint32_t>> asks(parts);
  std::vector<int> owner(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    owner[k] = ownership_.owner(rows[k]);
    asks[static_cast<std::size_t>(owner[k])].push_back(rows[k]);
  }
  std::vector<std::uint32_t> send;
  std::vector<std::size_t> counts;
  for (const auto& a : asks) {
    send.insert(send.end(), a.begin(), a.end());
    counts.push_back(a.size());
  }
  std::vector<std::size_t> received_counts;
  const auto asked = comm.alltoallv<std::uint32_t>(send, counts, &received_counts);

  std::vector<Packer> answers(parts);
  std::size_t position = 0;
  for (std::size_t source = 0; source < parts; ++source) {
    for (std::size_t k = 0; k < received_counts[source]; ++k, ++position) {
      answers[source].token(tokens_[asked[position] - first_row_]);
    }
  }
  std::vector<std::size_t> answer_bytes;
  const std::vector<char> replies = exchange_packed(comm, answers, &answer_bytes);

  std::vector<std::vector<std::string>> by_owner(parts);
  for_each_source(replies, answer_bytes, [&](std::size_t source, Unpacker& in) {
    while (!in.done()) by_owner[source].emplace_back(in.token());
  });
  std::vector<std::string> out(rows.size());
  std::vector<std::size_t> cursor(parts, 0);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto p = static_cast<std::size_t>(owner[k]);
    out[k] = std::move(by_owner[p][cursor[p]++]);
  }
  return out;
}

}  // namespace dmf::data
