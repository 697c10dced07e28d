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

  /// Distinct tokens in order of first appearance.
  [[nodiscard]] const TokenTable& tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::size_t size() const noexcept { return tokens_.size(); }

  /// Releases the table and returns the tokens.
  TokenTable release();

 private:
  void grow();

  TokenTable tokens_;
  std::vector<std::uint64_t> hashes_;  // hash of each token, to rehash and to compare fast
  std::vector<std::uint32_t> slots_;   // token number + 1; 0 = empty
  std::uint64_t mask_ = 0;
};

}  // namespace dmf::data
