#include "dmf/train/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace dmf::train {

Progress::Progress(const Console& console, int epochs, bool live)
    : console_(console), epochs_(epochs), live_(live && console.speaks()) {}

bool Progress::stderr_is_terminal() { return isatty(fileno(stderr)) == 1; }

void Progress::start() {
  if (live_ && epochs_ > 0) status(1, -1.0);
}

void Progress::epoch(const EpochRecord& r) {
  if (live_) console_.log("\r\x1b[K");
  const std::string validation =
      r.validation_rmse ? fmt::format("  validation RMSE {:.5f}", *r.validation_rmse) : "";
  console_.log("epoch {:>{}}/{}  loss {:.6f}  train RMSE {:.5f}{}  {:.2f} s\n", r.epoch,
               fmt::formatted_size("{}", epochs_), epochs_, r.loss, r.train_rmse, validation,
               r.seconds);
  if (live_ && r.epoch < epochs_) {
    const double per_epoch = r.elapsed / r.epoch;
    status(r.epoch + 1, per_epoch * (epochs_ - r.epoch));
  }
}

void Progress::finish() {
  if (live_) console_.log("\r\x1b[K");
}

void Progress::status(int next_epoch, double eta_seconds) {
  const std::string eta = eta_seconds < 0.0 ? "" : fmt::format(", ETA {:.0f} s", eta_seconds);
  console_.log("  epoch {}/{} running{}", next_epoch, epochs_, eta);
  std::fflush(stderr);
}

}  // namespace dmf::train
