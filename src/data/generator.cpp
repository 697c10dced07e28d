// dmf generate's parallel writer. The users are cut into rounds the same way
// on every rank; in each round every rank formats a contiguous share of the
// round's users (threads over small runs of users) and one collective write
// puts the shares in rank order, so the file is in user order for any number
// of ranks and memory is bounded by the round size. Rank 0's thread 0 writes
// round r while the other threads already format round r + 1.
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>

#include "dmf/core/error.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/generator.hpp"
#include "dmf/data/partition.hpp"
#include "dmf/dist/ordered_output.hpp"

namespace dmf::data {
namespace {

/// Ratings per task: small enough to balance threads, large enough that
/// scheduling costs nothing.
constexpr std::uint64_t kTaskRatings = 16384;
/// The longest line: three 20-digit numbers, a float and separators.
constexpr std::size_t kMaxLine = 128;

/// A growable text buffer that keeps its memory from round to round and is
/// never zero-filled.
class Text {
 public:
  /// Room for `n` more bytes at the returned pointer; commit() what was used.
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) {
      const std::size_t capacity = std::max(2 * capacity_, size_ + n);
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }
  void commit(const char* end) { size_ = static_cast<std::size_t>(end - data_.get()); }
  void clear() noexcept { size_ = 0; }
  /// Grows (contents kept, the new bytes undefined) or shrinks to `n` bytes.
  void resize(std::size_t n) {
    if (n > size_) reserve(n - size_);
    size_ = n;
  }
  void append(std::string_view text) {
    char* at = reserve(text.size());
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    size_ += text.size();
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] char* data() noexcept { return data_.get(); }
  /// Never a null pointer, even when empty (it goes to MPI).
  [[nodiscard]] std::string_view view() const noexcept {
    return size_ > 0 ? std::string_view(data_.get(), size_) : std::string_view("");
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

struct LineFormat {
  std::string_view separator;
  bool time = true;
};

LineFormat line_format(io::FormatKind kind) {
  switch (kind) {
    case io::FormatKind::kCsv:
      return {",", true};
    case io::FormatKind::kMovieLens:
      return {"::", true};
    case io::FormatKind::kLibmf:  // LIBMF text and MatrixMarket have no time
    case io::FormatKind::kMatrixMarket:
      return {" ", false};
    default:
      return {"\t", true};  // tsv, udata
  }
}

}  // namespace

std::string generated_header(io::FormatKind kind, const GeneratorOptions& o) {
  // The value column of implicit feedback holds play counts.
  const bool implicit = o.feedback == GeneratedFeedback::kImplicit;
  const std::string_view value = implicit ? "count" : "rating";
  switch (kind) {
    case io::FormatKind::kCsv:
      return fmt::format("user,item,{},time\n", value);
    case io::FormatKind::kTsv:
      return fmt::format("user\titem\t{}\ttime\n", value);
    case io::FormatKind::kMatrixMarket: {
      // fmt has no %-escapes: "%%" is the banner's literal "%%".
      const std::string model =
          implicit ? fmt::format(
                         "implicit feedback (play counts), true rank {}, activity exponent "
                         "{}, popularity exponent {}",
                         o.true_rank, o.skew, o.popularity_exponent)
          : o.skew == o.popularity_exponent
              ? fmt::format("true rank {}, noise {}, skew {}, scale {}", o.true_rank, o.noise,
                            o.skew, format_value(o.scale))
              : fmt::format("true rank {}, noise {}, skew {} (item popularity {}), scale {}",
                            o.true_rank, o.noise, o.skew, o.popularity_exponent,
                            format_value(o.scale));
      return fmt::format(
          "%%MatrixMarket matrix coordinate {} general\n% dmf generate: {}, seed {}\n{} {} {}\n",
          implicit ? "integer" : "real", model, o.seed, o.users, o.items, o.ratings);
    }
    default:
      return {};
  }
}

namespace {

/// The shortest text that reads back as the same float: "4", "3.5", "3.8172753".
char* put_value(char* at, char* end, float value) {
  if (value == std::trunc(value) && std::fabs(value) < 1e9F) {
    return std::to_chars(at, end, static_cast<std::int64_t>(value)).ptr;
  }
  return std::to_chars(at, end, value).ptr;
}

/// Appends the lines of one user; IDs are 1-based.
void format_user(Text& text, const LineFormat& f, std::uint64_t user,
                 const SyntheticModel::UserRatings& r) {
  char prefix[32];
  char* prefix_end = std::to_chars(prefix, prefix + 24, user + 1).ptr;
  prefix_end = std::copy(f.separator.begin(), f.separator.end(), prefix_end);
  const auto prefix_size = static_cast<std::size_t>(prefix_end - prefix);

  const std::size_t n = r.items.size();
  char* at = text.reserve(n * kMaxLine);
  char* const end = at + n * kMaxLine;
  auto separator = [&] { at = std::copy(f.separator.begin(), f.separator.end(), at); };
  for (std::size_t j = 0; j < n; ++j) {
    std::memcpy(at, prefix, prefix_size);
    at += prefix_size;
    at = std::to_chars(at, end, r.items[j] + 1ULL).ptr;
    separator();
    at = put_value(at, end, r.values[j]);
    if (f.time) {
      separator();
      at = std::to_chars(at, end, r.times[j]).ptr;
    }
    *at++ = '\n';
  }
  text.commit(at);
}

struct UserRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// The users this rank formats in each round. Rounds are cut the same way on
/// every rank, `per_rank` ratings per rank each; within a round the users go
/// to ranks by the midpoint of their ratings (part_of), so each rank gets a
/// contiguous share of about 1/P of the round, possibly empty.
std::vector<UserRange> plan_rounds(const std::vector<std::uint64_t>& counts, std::uint64_t per_rank,
                                   int rank, int parts) {
  const std::uint64_t target =
      std::max<std::uint64_t>(per_rank, 1) * static_cast<std::uint64_t>(parts);
  const std::uint64_t users = counts.size();
  std::vector<UserRange> mine;
  for (std::uint64_t u = 0; u < users;) {
    const std::uint64_t first = u;
    std::uint64_t total = 0;
    while (u < users && total < target) total += counts[u++];
    UserRange range{first, first};
    std::uint64_t prefix = 0;
    for (std::uint64_t v = first; v < u; ++v) {
      const int part = part_of(prefix, counts[v], total, parts);
      if (part < rank) range.begin = v + 1;
      if (part <= rank) range.end = v + 1;
      prefix += counts[v];
    }
    range.begin = std::min(range.begin, range.end);
    mine.push_back(range);
  }
  return mine;
}

/// Runs of users of about kTaskRatings ratings each.
void split_into_tasks(const std::vector<std::uint64_t>& counts, UserRange range,
                      std::vector<UserRange>& tasks) {
  tasks.clear();
  std::uint64_t in_task = 0;
  for (std::uint64_t u = range.begin; u < range.end; ++u) {
    if (in_task == 0) tasks.push_back({u, u});
    tasks.back().end = u + 1;
    in_task += counts[u];
    if (in_task >= kTaskRatings) in_task = 0;
  }
}

}  // namespace

io::FormatKind output_format(const std::string& path, io::FormatKind requested) {
  if (requested != io::FormatKind::kAuto) return requested;
  const std::filesystem::path p(path);
  const std::string ext = p.extension().string();
  if (ext == ".tsv" || ext == ".tab") return io::FormatKind::kTsv;
  if (ext == ".dat") return io::FormatKind::kMovieLens;
  if (ext == ".mtx" || ext == ".mm") return io::FormatKind::kMatrixMarket;
  if (p.filename() == "u.data" || ext == ".data") return io::FormatKind::kUData;
  if (ext == ".libmf") return io::FormatKind::kLibmf;
  return io::FormatKind::kCsv;
}

GenerateReport generate_ratings(const dist::Comm& comm, const GeneratorOptions& options,
                                const GenerateOutput& output) {
  Stopwatch clock;
  const int threads = std::max(1, output.threads);
  const SyntheticModel model = comm.agree([&] { return SyntheticModel(options, threads); });
  const io::FormatKind kind = output_format(output.path, output.format);
  const LineFormat line = line_format(kind);
  const auto rounds =
      plan_rounds(model.counts(), output.ratings_per_round, comm.rank(), comm.size());
  DMF_CHECK(!rounds.empty(), "dmf generate: no rounds planned for {} users", options.users);

  dist::OrderedOutput writer(comm, output.path, output.overwrite);
  std::vector<SyntheticModel::UserRatings> scratch(static_cast<std::size_t>(threads));
  std::vector<UserRange> tasks;
  std::vector<Text> pieces;          // one per task of the round being formatted
  std::vector<std::size_t> offsets;  // where each piece goes in `ready`
  Text ready;                        // the round being written
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto capture = [&] {
    const std::lock_guard lock(failure_mutex);
    if (!failure) failure = std::current_exception();
  };
  bool stop = false;

  // Every thread runs the same sequence of worksharing constructs; `stop` is
  // written inside `single` and read after its barrier, so all leave together.
  // Only thread 0, the thread that initialised MPI, calls MPI (FUNNELED).
#pragma omp parallel num_threads(threads)
  {
    auto& mine = scratch[static_cast<std::size_t>(omp_get_thread_num())];
    for (std::size_t round = 0; round <= rounds.size() && !stop; ++round) {
      const bool formatting = round < rounds.size();
#pragma omp single
      {
        try {
          if (formatting) split_into_tasks(model.counts(), rounds[round], tasks);
          if (pieces.size() < tasks.size()) pieces.resize(tasks.size());
        } catch (...) {
          capture();
          tasks.clear();
        }
      }
#pragma omp master
      {
        if (round > 0) {
          try {
            writer.append(ready.view());
          } catch (...) {
            capture();
          }
        }
      }
      if (formatting) {
        // The master joins when its write is done: dynamic scheduling.
#pragma omp for schedule(dynamic, 1)
        for (std::size_t t = 0; t < tasks.size(); ++t) {
          try {
            pieces[t].clear();
            for (std::uint64_t u = tasks[t].begin; u < tasks[t].end; ++u) {
              model.draw(u, mine);
              format_user(pieces[t], line, u, mine);
            }
          } catch (...) {
            capture();
          }
        }
      } else {
#pragma omp barrier
      }
#pragma omp single
      {
        try {
          if (failure == nullptr && formatting) {
            // Rank 0's first part carries the header.
            ready.clear();
            if (round == 0 && comm.is_root()) ready.append(generated_header(kind, options));
            offsets.assign(tasks.size() + 1, ready.size());
            for (std::size_t t = 0; t < tasks.size(); ++t) {
              offsets[t + 1] = offsets[t] + pieces[t].size();
            }
            ready.resize(offsets.back());
          }
        } catch (...) {
          capture();
        }
        stop = failure != nullptr || !formatting;
      }
      if (!stop) {
#pragma omp for schedule(static)
        for (std::size_t t = 0; t < tasks.size(); ++t) {
          if (pieces[t].size() > 0) {
            std::memcpy(ready.data() + offsets[t], pieces[t].data(), pieces[t].size());
          }
        }
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  writer.commit();

  GenerateReport report;
  report.format = kind;
  report.ratings = options.ratings;
  report.bytes = writer.size();
  report.rounds = rounds.size();
  report.seconds = comm.allreduce(clock.seconds(), dist::Op::kMax);
  return report;
}

}  // namespace dmf::data
