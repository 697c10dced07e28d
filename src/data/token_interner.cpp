#include "dmf/data/token_interner.hpp"

#include "dmf/core/error.hpp"
#include "dmf/core/hash.hpp"

namespace dmf::data {
namespace {
constexpr std::uint64_t kInitialSlots = 1024;
}

TokenInterner::TokenInterner() : slots_(kInitialSlots, 0), mask_(kInitialSlots - 1) {}

std::uint32_t TokenInterner::intern(std::string_view token) {
  const std::uint64_t h = hash_bytes(token);
  std::uint64_t slot = h & mask_;
  while (true) {
    const std::uint32_t entry = slots_[slot];
    if (entry == 0) break;
    const std::uint32_t id = entry - 1;
    if (hashes_[id] == h && tokens_[id] == token) return id;
    slot = (slot + 1) & mask_;
  }
  DMF_CHECK(tokens_.size() < 0xFFFFFFFEULL, "more than 4 billion distinct IDs on one rank");
  const std::uint32_t id = tokens_.push(token);
  hashes_.push_back(h);
  slots_[slot] = id + 1;
  if (2 * tokens_.size() > slots_.size()) grow();  // keep the load factor at most 1/2
  return id;
}

void TokenInterner::grow() {
  slots_.assign(2 * slots_.size(), 0);
  mask_ = slots_.size() - 1;
  for (std::uint32_t id = 0; id < hashes_.size(); ++id) {
    std::uint64_t slot = hashes_[id] & mask_;
    while (slots_[slot] != 0) slot = (slot + 1) & mask_;
    slots_[slot] = id + 1;
  }
}

TokenTable TokenInterner::release() {
  TokenTable out = std::move(tokens_);
  tokens_ = TokenTable();
  hashes_.clear();
  slots_.assign(kInitialSlots, 0);
  mask_ = kInitialSlots - 1;
  return out;
}

}  // namespace dmf::data
