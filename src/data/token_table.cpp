#include "dmf/data/token_table.hpp"

namespace dmf::data {

bool is_canonical_integer(std::string_view token) noexcept {
  if (token.starts_with('-')) {
    token.remove_prefix(1);
    if (token == "0") return false;
  }
  if (token.empty() || (token.size() > 1 && token.front() == '0')) return false;
  for (const char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace dmf::data
