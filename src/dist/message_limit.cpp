#include "message_limit.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "dmf/core/error.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::dist::detail {
namespace {

std::size_t configured_limit = kMaxMessageBytes;  // written once, before any Comm exists

}  // namespace

void load_max_message_bytes() {
  const char* value = std::getenv(kMaxMessageBytesVariable);
  if (value == nullptr) return;
  const std::string_view text(value);
  std::size_t bytes = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  DMF_CHECK_EVERYWHERE(
      error == std::errc() && end == text.data() + text.size() && bytes >= 1 &&
          bytes <= kMaxMessageBytes,
      "{} (a setting for tests) must be a whole number of bytes from 1 to {}, not '{}'",
      kMaxMessageBytesVariable, kMaxMessageBytes, text);
  configured_limit = bytes;
}

std::size_t process_max_message_bytes() noexcept { return configured_limit; }

}  // namespace dmf::dist::detail
