#include "dmf/train/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

namespace dmf::train {
namespace {

/// A live line is redrawn at most this often: faster only costs output.
constexpr double kLiveInterval = 0.2;
/// A batch log gets a step line at most this often: enough to see that a
/// long epoch moves, few enough lines to read.
constexpr double kLogInterval = 60.0;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// A load says nothing before this many seconds: most files are read sooner.
constexpr double kLoadQuietStart = 1.0;
/// A batch log gets a load line at most this often.
constexpr double kLoadLogInterval = 10.0;

/// "42 s", "3 min 50 s", "2 h 05 min".
std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, s % 3600 / 60);
}

}  // namespace

Progress::Progress(const Console& console, int epochs, bool live, Clock clock)
    : console_(console),
      epochs_(epochs),
      live_(live && console.speaks()),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)) {}

bool Progress::stderr_is_terminal() { return isatty(fileno(stderr)) == 1; }

void Progress::start() {
  last_shown_ = clock_();
  if (live_ && epochs_ > 0) status(1, -1.0);
}

double Progress::eta(double now, std::uint64_t position) {
  if (!first_) first_ = {now, position};
  const auto [then, from] = *first_;
  if (position <= from || now <= then) return -1.0;
  const double per_step = (now - then) / static_cast<double>(position - from);
  const std::uint64_t total = static_cast<std::uint64_t>(epochs_) * steps_per_epoch_;
  return per_step * static_cast<double>(total > position ? total - position : 0);
}

void Progress::step(int epoch, std::uint64_t done) {
  if (steps_per_epoch_ == 0 || !console_.speaks()) return;
  const double now = clock_();
  const double left = eta(now, static_cast<std::uint64_t>(epoch - 1) * steps_per_epoch_ + done);
  if (now - last_shown_ < (live_ ? kLiveInterval : kLogInterval)) return;
  last_shown_ = now;
  const std::string eta_text = left < 0.0 ? "" : duration_text(left);
  if (live_) {
    console_.log("\r\x1b[K  epoch {}/{}  step {}/{}{}{}", epoch, epochs_, done, steps_per_epoch_,
                 eta_text.empty() ? "" : "  ETA ", eta_text);
    std::fflush(stderr);
  } else {
    console_.log("  epoch {}/{}: step {}/{}{}{}\n", epoch, epochs_, done, steps_per_epoch_,
                 eta_text.empty() ? "" : ", ETA ", eta_text);
  }
}

void Progress::epoch(const EpochRecord& r) {
  if (live_) console_.log("\r\x1b[K");
  std::string validation =
      r.validation_rmse ? fmt::format("  validation RMSE {:.5f}", *r.validation_rmse) : "";
  if (!r.validation_metric.empty()) {
    validation += fmt::format(
        "  {} {}", r.validation_metric == "mae" ? "MAE" : r.validation_metric,
        r.validation_value ? fmt::format("{:.5f}", *r.validation_value) : std::string("n/a"));
  }
  const std::string train = r.train_rmse ? fmt::format("  train RMSE {:.5f}", *r.train_rmse) : "";
  console_.log("epoch {:>{}}/{}  loss {:.6f}{}{}  {:.2f} s\n", r.epoch,
               fmt::formatted_size("{}", epochs_), epochs_, r.loss, train, validation, r.seconds);
  if (live_ && r.epoch < epochs_) {
    const double per_epoch = r.elapsed / r.epoch;
    status(r.epoch + 1, per_epoch * (epochs_ - r.epoch));
  }
}

void Progress::finish() {
  if (live_) console_.log("\r\x1b[K");
}

void Progress::status(int next_epoch, double eta_seconds) {
  const std::string eta = eta_seconds < 0.0 ? "" : ", ETA " + duration_text(eta_seconds);
  console_.log("  epoch {}/{} running{}", next_epoch, epochs_, eta);
  std::fflush(stderr);
}

LoadProgress::LoadProgress(const Console& console, std::string path, std::uint64_t bytes, bool live,
                           Clock clock)
    : console_(console),
      path_(std::move(path)),
      bytes_(static_cast<double>(bytes)),
      live_(live && console.speaks()),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      start_(clock_()) {}

bool LoadProgress::due(double now) {
  if (now - start_ < kLoadQuietStart) return false;
  if (last_shown_ >= 0.0 && now - last_shown_ < (live_ ? kLiveInterval : kLoadLogInterval)) {
    return false;
  }
  last_shown_ = now;
  return true;
}

void LoadProgress::show(const std::string& text) {
  if (live_) {
    console_.log("\r\x1b[K{}", text);
    std::fflush(stderr);
    drawn_ = true;
  } else {
    console_.log("{}\n", text);
  }
}

void LoadProgress::route(double fraction) {
  if (!console_.speaks()) return;
  const double now = clock_();
  if (route_start_ < 0.0) route_start_ = now;
  if (fraction <= 0.0 || !due(now)) return;
  const std::string eta = duration_text((now - route_start_) * (1.0 - fraction) / fraction);
  show(fmt::format("routing {}: {:.0f}% of the ratings placed, ETA {}", path_, 100.0 * fraction,
                   eta));
}

void LoadProgress::update(double fraction) {
  if (!console_.speaks()) return;
  const double now = clock_();
  const double elapsed = now - start_;
  if (fraction <= 0.0 || !due(now)) return;
  constexpr double kMB = 1e6;
  const double done = fraction * bytes_;
  const std::string eta = duration_text(elapsed * (1.0 - fraction) / fraction);
  const std::string text =
      bytes_ > 0.0 ? fmt::format("reading {}: {:.0f} of {:.0f} MB, {:.0f} MB/s, ETA {}", path_,
                                 done / kMB, bytes_ / kMB, done / kMB / elapsed, eta)
                   : fmt::format("reading {}: {:.0f}%, ETA {}", path_, 100.0 * fraction, eta);
  show(text);
}

void LoadProgress::finish() {
  if (drawn_) console_.log("\r\x1b[K");
  drawn_ = false;
}

}  // namespace dmf::train
