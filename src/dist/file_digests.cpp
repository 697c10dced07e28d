#include "dmf/dist/file_digests.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"

namespace dmf::dist {
namespace {

constexpr int kStateTag = 7101;  // the chain's messages, apart from any other

}  // namespace

void FileDigests::hand_on(io::ChunkHasher&& state) {
  if (comm_.rank() + 1 < comm_.size()) {
    const auto bytes = state.save();
    comm_.send_bytes(bytes, comm_.rank() + 1, kStateTag);
  } else {
    carry_ = std::move(state);
  }
}

void FileDigests::add(std::string_view part, std::uint64_t offset, std::uint64_t after) {
  const std::uint64_t end = offset + part.size();
  auto bytes = [&](std::uint64_t from, std::uint64_t to) {
    return part.substr(static_cast<std::size_t>(from - offset),
                       static_cast<std::size_t>(to - from));
  };
  // The head: bytes before the first chunk boundary of the part, when the
  // part starts inside a chunk whose beginning an earlier rank (or call)
  // hashed. It needs that state; everything after it does not.
  const bool continues = offset % chunk_ != 0;
  const std::uint64_t head_end = continues ? std::min(end, (offset / chunk_ + 1) * chunk_) : offset;
  // Rank 0 continues from the carry of the previous call; taken first, as
  // this call may leave a new one (on one rank, rank 0 is the last rank).
  std::optional<io::ChunkHasher> carried;
  if (continues && comm_.rank() == 0) {
    // Invariant: the previous call left the open chunk here.
    DMF_CHECK(carry_.has_value(), "file digests: no state for the chunk at byte {}", offset);
    carried = std::move(carry_);
    carry_.reset();
  }
  // Chunks that start in this part: complete ones are digested here, an
  // open one at the end is handed on.
  for (std::uint64_t from = head_end; from < end;) {
    const std::uint64_t to = std::min(end, (from / chunk_ + 1) * chunk_);
    io::ChunkHasher hasher;
    hasher.update(bytes(from, to));
    if (to % chunk_ == 0) {
      done_.push_back({from / chunk_, hasher.digest()});
    } else {
      hand_on(std::move(hasher));
    }
    from = to;
  }
  if (continues) {
    io::ChunkHasher hasher;
    if (carried) {
      hasher = std::move(*carried);
    } else {
      std::vector<std::byte> state(io::ChunkHasher::state_bytes());
      comm_.receive_bytes(state, comm_.rank() - 1, kStateTag);
      hasher.load(state);
    }
    hasher.update(bytes(offset, head_end));
    if (head_end % chunk_ == 0) {
      done_.push_back({offset / chunk_, hasher.digest()});
    } else {
      hand_on(std::move(hasher));  // the part ends inside the chunk it began in
    }
  }
  // The next call's rank 0 goes on with the chunk the last rank left open.
  if (after % chunk_ != 0 && comm_.size() > 1) {
    if (comm_.rank() + 1 == comm_.size()) {
      const auto state = carry_->save();
      carry_.reset();
      comm_.send_bytes(state, 0, kStateTag);
    } else if (comm_.rank() == 0) {
      std::vector<std::byte> state(io::ChunkHasher::state_bytes());
      comm_.receive_bytes(state, comm_.size() - 1, kStateTag);
      carry_.emplace();
      carry_->load(state);
    }
  }
}

std::vector<std::uint64_t> FileDigests::finish(std::uint64_t size) {
  // The last chunk is open on rank 0 (it went round) unless it ended on a
  // chunk boundary; an empty file has one, empty, chunk.
  if (comm_.rank() == 0) {
    if (size == 0) {
      done_.push_back({0, io::ChunkHasher().digest()});
    } else if (size % chunk_ != 0) {
      done_.push_back({size / chunk_, carry_->digest()});
      carry_.reset();
    }
  }
  const auto all = comm_.allgatherv(std::span<const Digest>(done_));
  std::vector<std::uint64_t> digests(size == 0 ? 1 : (size + chunk_ - 1) / chunk_, 0);
  std::vector<bool> seen(digests.size(), false);
  for (const auto& d : all) {
    digests.at(d.chunk) = d.digest;
    seen.at(d.chunk) = true;
  }
  DMF_CHECK(std::ranges::all_of(seen, [](bool s) { return s; }),
            "file digests: a chunk of {} bytes was never digested", size);
  return digests;
}

}  // namespace dmf::dist
