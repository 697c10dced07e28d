// Maps the ID tokens met while reading to dense local numbers, once each.
// Two lookups per rating line make this the second-hottest loop of a load
// after parsing, hence an open-addressing table over one text buffer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dmf/data/token_table.hpp"

namespace dmf::data {

class TokenInterner {
 public:
  TokenInterner();

  /// The local number of `token`, assigning the next one if it is new.
  std::uint32_t intern(std::string_view token);

  /// intern(token) for a token known to be the canonical text of `value`
  /// (below 10^18; io::LineParser::parse_plain gives such IDs): no look at
  /// the text unless it is new.
  std::uint32_t intern_canonical(std::uint64_t value, std::string_view token) {
    return intern_integer(static_cast<std::int64_t>(value), token);
  }

  /// Distinct tokens in order of first appearance.
  [[nodiscard]] const TokenTable& tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t size() const noexcept { return tokens_.size(); }

  /// Releases the table and returns the tokens.
  TokenTable release();

 private:
  void grow();

  static constexpr std::uint32_t kNone = 0xFFFFFFFFU;

  /// Canonical integer IDs (the common case) are found by value: one probe
  /// of a 16-byte slot, no text comparison.
  struct IntegerSlot {
    std::int64_t value = 0;
    std::uint32_t id_plus_one = 0;  // 0 = empty
  };
  std::uint32_t intern_integer(std::int64_t value, std::string_view token);
  void grow_integers();
  /// Makes dense_ cover `value` if that costs little; false if not.
  bool cover_densely(std::int64_t value);

  TokenTable tokens_;
  /// Small non-negative integers (IDs 1..n, the usual case) are found by
  /// one load: dense_[value] = number + 1 (0 = not seen). Kept to at most
  /// a few entries per distinct integer; larger ones go to integer_slots_.
  std::vector<std::uint32_t> dense_;
  std::vector<IntegerSlot> integer_slots_;
  std::uint64_t integer_mask_ = 0;
  std::uint64_t integers_ = 0;         // integer tokens, dense or hashed
  std::uint64_t hashed_integers_ = 0;  // those in integer_slots_
  std::vector<std::uint64_t> slots_;   // hash tag << 32 | (token number + 1); 0 = empty
  std::uint64_t mask_ = 0;
  std::uint32_t last_id_ = kNone;  // the text token returned last
  std::int64_t last_integer_ = 0;  // the integer token returned last
  std::uint32_t last_integer_id_ = kNone;
};

}  // namespace dmf::data
