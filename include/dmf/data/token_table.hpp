// ID tokens as written in the input ("42", "tt0104257", "0104257"), stored
// compactly, and their canonical order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dmf::data {

/// Many short strings in one buffer: token k is chars[offsets[k], offsets[k+1]).
class TokenTable {
 public:
  TokenTable() { offsets_.push_back(0); }

  /// Appends a token and returns its index.
  std::uint32_t push(std::string_view token) {
    chars_.append(token);
    offsets_.push_back(chars_.size());
    return static_cast<std::uint32_t>(offsets_.size() - 2);
  }

  [[nodiscard]] std::string_view operator[](std::size_t k) const noexcept {
    return std::string_view(chars_).substr(offsets_[k], offsets_[k + 1] - offsets_[k]);
  }
  [[nodiscard]] std::size_t size() const noexcept { return offsets_.size() - 1; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  void reserve(std::size_t tokens, std::size_t bytes) {
    offsets_.reserve(tokens + 1);
    chars_.reserve(bytes);
  }
  void clear() {
    chars_.clear();
    offsets_.assign(1, 0);
  }

 private:
  std::string chars_;
  std::vector<std::size_t> offsets_;
};

/// True for the canonical text of an integer: -?(0|[1-9][0-9]*), not "-0".
/// "0104257" is not canonical: as an ID it differs from "104257".
[[nodiscard]] bool is_canonical_integer(std::string_view token) noexcept;

/// The canonical order of IDs (docs/design.md §3): numeric when every ID of a
/// side is a canonical integer, else bytewise. Numeric comparison works on
/// the text (sign, then length, then bytes), so integers of any length work.
class TokenOrder {
 public:
  explicit TokenOrder(bool numeric = false) noexcept : numeric_(numeric) {}

  [[nodiscard]] bool numeric() const noexcept { return numeric_; }

  /// Strict weak order: a before b.
  [[nodiscard]] bool operator()(std::string_view a, std::string_view b) const noexcept {
    if (!numeric_) return a < b;
    const bool a_negative = a.starts_with('-');
    const bool b_negative = b.starts_with('-');
    if (a_negative != b_negative) return a_negative;
    if (a.size() != b.size()) return (a.size() < b.size()) != a_negative;
    return a_negative ? b < a : a < b;
  }

 private:
  bool numeric_;
};

}  // namespace dmf::data
