// The message limit of this process (docs/design.md §3): kMaxMessageBytes,
// unless the test-only environment variable DMF_TEST_MAX_MESSAGE_BYTES
// lowers it so that the piecewise paths of the collectives run on small
// data. Read once, by dist::Environment; Comm::world() takes it from here.
#pragma once

#include <cstddef>

namespace dmf::dist::detail {

inline constexpr const char* kMaxMessageBytesVariable = "DMF_TEST_MAX_MESSAGE_BYTES";

/// Reads the variable and keeps its value for process_max_message_bytes().
/// Throws dmf::Error naming the variable when it is not a whole number of
/// bytes from 1 to kMaxMessageBytes.
void load_max_message_bytes();

[[nodiscard]] std::size_t process_max_message_bytes() noexcept;

}  // namespace dmf::dist::detail
