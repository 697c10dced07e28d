#include "dmf/data/token_interner.hpp"

#include "dmf/core/error.hpp"
#include "dmf/core/hash.hpp"

namespace dmf::data {
namespace {

constexpr std::uint64_t kInitialSlots = 1024;

/// The dense table of small integers: values below kDenseLimit, at most
/// kDenseEntriesPerId entries per distinct integer (beyond kDenseFloor).
constexpr std::int64_t kDenseLimit = std::int64_t{1} << 26U;
constexpr std::uint64_t kDenseEntriesPerId = 8;
constexpr std::uint64_t kDenseFloor = 1U << 16U;

/// A slot holds the top 32 bits of the token's hash (a tag that rules out
/// almost every mismatch without touching the text) and its number + 1.
constexpr std::uint64_t make_slot(std::uint64_t hash, std::uint32_t id) {
  return (hash & 0xFFFFFFFF00000000ULL) | (static_cast<std::uint64_t>(id) + 1);
}
constexpr std::uint32_t slot_id(std::uint64_t slot) {
  return static_cast<std::uint32_t>(slot & 0xFFFFFFFFULL) - 1;
}
constexpr bool same_tag(std::uint64_t slot, std::uint64_t hash) {
  return ((slot ^ hash) & 0xFFFFFFFF00000000ULL) == 0;
}

/// The value of a canonical integer token of at most 18 digits (so that it
/// fits an int64 without checks); false for anything else.
bool small_canonical_integer(std::string_view token, std::int64_t& value) {
  const bool negative = !token.empty() && token.front() == '-';
  if (negative) token.remove_prefix(1);
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token.front() == '0')) {
    return false;
  }
  std::int64_t v = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (negative && v == 0) return false;  // "-0" is not canonical
  value = negative ? -v : v;
  return true;
}

}  // namespace

TokenInterner::TokenInterner()
    : integer_slots_(kInitialSlots),
      integer_mask_(kInitialSlots - 1),
      slots_(kInitialSlots, 0),
      mask_(kInitialSlots - 1) {}

bool TokenInterner::cover_densely(std::int64_t value) {
  if (value < 0 || value >= kDenseLimit) return false;
  const auto wanted = static_cast<std::uint64_t>(value) + 1;
  if (wanted <= dense_.size()) return true;
  const std::uint64_t size = std::max<std::uint64_t>(wanted, 2 * dense_.size());
  if (size > kDenseEntriesPerId * (integers_ + kDenseFloor)) return false;
  const std::size_t old = dense_.size();
  dense_.resize(size, 0);
  // Integers hashed before now lie in the dense range: copy them over, so
  // that each value has one number wherever it is looked up.
  for (const auto& slot : integer_slots_) {
    if (slot.id_plus_one != 0 && slot.value >= static_cast<std::int64_t>(old) &&
        slot.value < static_cast<std::int64_t>(size)) {
      dense_[static_cast<std::size_t>(slot.value)] = slot.id_plus_one;
    }
  }
  return true;
}

std::uint32_t TokenInterner::intern_integer(std::int64_t value, std::string_view token) {
  // Files are often sorted by user: the same ID as last time is common.
  if (last_integer_id_ != kNone && value == last_integer_) return last_integer_id_;
  last_integer_ = value;
  if (cover_densely(value)) {
    std::uint32_t& entry = dense_[static_cast<std::size_t>(value)];
    if (entry == 0) {
      DMF_CHECK(tokens_.size() < 0xFFFFFFFEULL, "more than 4 billion distinct IDs on one rank");
      entry = tokens_.push(token) + 1;
      ++integers_;
    }
    return last_integer_id_ = entry - 1;
  }
  std::uint64_t position = mix64(static_cast<std::uint64_t>(value)) & integer_mask_;
  while (integer_slots_[position].id_plus_one != 0) {
    if (integer_slots_[position].value == value) {
      return last_integer_id_ = integer_slots_[position].id_plus_one - 1;
    }
    position = (position + 1) & integer_mask_;
  }
  DMF_CHECK(tokens_.size() < 0xFFFFFFFEULL, "more than 4 billion distinct IDs on one rank");
  const std::uint32_t id = tokens_.push(token);
  integer_slots_[position] = {value, id + 1};
  ++integers_;
  if (2 * ++hashed_integers_ > integer_slots_.size()) grow_integers();
  return last_integer_id_ = id;
}

void TokenInterner::grow_integers() {
  std::vector<IntegerSlot> old(2 * integer_slots_.size());
  old.swap(integer_slots_);
  integer_mask_ = integer_slots_.size() - 1;
  for (const auto& slot : old) {
    if (slot.id_plus_one == 0) continue;
    std::uint64_t position = mix64(static_cast<std::uint64_t>(slot.value)) & integer_mask_;
    while (integer_slots_[position].id_plus_one != 0) position = (position + 1) & integer_mask_;
    integer_slots_[position] = slot;
  }
}

std::uint32_t TokenInterner::intern(std::string_view token) {
  std::int64_t value = 0;
  if (small_canonical_integer(token, value)) return intern_integer(value, token);
  // Files are often sorted by user: the same token as last time is common.
  if (last_id_ != kNone && tokens_[last_id_] == token) return last_id_;
  const std::uint64_t h = hash_bytes(token);
  std::uint64_t position = h & mask_;
  while (true) {
    const std::uint64_t slot = slots_[position];
    if (slot == 0) break;
    if (same_tag(slot, h) && tokens_[slot_id(slot)] == token) return last_id_ = slot_id(slot);
    position = (position + 1) & mask_;
  }
  DMF_CHECK(tokens_.size() < 0xFFFFFFFEULL, "more than 4 billion distinct IDs on one rank");
  const std::uint32_t id = tokens_.push(token);
  slots_[position] = make_slot(h, id);
  if (2 * (tokens_.size() - integers_) > slots_.size()) grow();  // load factor at most 1/2
  return last_id_ = id;
}

void TokenInterner::grow() {
  slots_.assign(2 * slots_.size(), 0);
  mask_ = slots_.size() - 1;
  for (std::uint32_t id = 0; id < tokens_.size(); ++id) {
    std::int64_t value = 0;
    if (small_canonical_integer(tokens_[id], value)) continue;  // in the integer table
    const std::uint64_t h = hash_bytes(tokens_[id]);            // growth is rare: recompute
    std::uint64_t position = h & mask_;
    while (slots_[position] != 0) position = (position + 1) & mask_;
    slots_[position] = make_slot(h, id);
  }
}

TokenTable TokenInterner::release() {
  TokenTable out = std::move(tokens_);
  tokens_ = TokenTable();
  slots_.assign(kInitialSlots, 0);
  mask_ = kInitialSlots - 1;
  integer_slots_.assign(kInitialSlots, IntegerSlot{});
  dense_ = {};
  integer_mask_ = kInitialSlots - 1;
  integers_ = 0;
  hashed_integers_ = 0;
  last_id_ = kNone;
  last_integer_id_ = kNone;
  return out;
}

}  // namespace dmf::data
