// SIGTERM, SIGINT and SIGUSR1 ask a training run to checkpoint and stop
// (docs/design.md §6, what Slurm's preemption and --signal send). The handler
// only records the signal; the trainer acts on it at its next safe point,
// where all ranks agree. A second signal while the checkpoint is written
// changes nothing.
#pragma once

#include <string_view>

namespace dmf::train {

/// Installs the handlers (process-wide; calling it again does nothing new).
void catch_stop_signals();

/// The last stop signal this process received since catch_stop_signals(), or 0.
[[nodiscard]] int stop_signal() noexcept;

/// "SIGTERM", "SIGINT", "SIGUSR1", or "signal N".
[[nodiscard]] std::string signal_name(int signal);

/// Forgets a received signal (for tests).
void clear_stop_signal() noexcept;

}  // namespace dmf::train
