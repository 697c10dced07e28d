// What rank 0 shows while an epoch runs: on a terminal a live status line
// (redrawn at most every 0.2 s) with the steps done and the ETA, which
// needs no finished epoch; in a batch log a plain line at most every 60 s.
// A fake clock stands in for the wall clock.
#include "dmf/train/progress.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dmf::train {
namespace {

struct FakeClock {
  double now = 0.0;
  [[nodiscard]] Progress::Clock clock() {
    return [this] { return now; };
  }
};

/// How often `text` occurs in `in`.
int count(const std::string& in, const std::string& text) {
  int n = 0;
  for (auto at = in.find(text); at != std::string::npos; at = in.find(text, at + 1)) ++n;
  return n;
}

TEST(Progress, ALiveLineShowsStepsAndTheEtaWithinTheFirstEpoch) {
  const Console console(true);
  FakeClock time;
  Progress progress(console, 3, /*live=*/true, time.clock());
  progress.set_steps_per_epoch(10);
  testing::internal::CaptureStderr();
  progress.start();
  // One step every 10 s: 30 steps in all.
  for (int s = 1; s <= 7; ++s) {
    time.now += 10.0;
    progress.step(1, static_cast<std::uint64_t>(s));
  }
  const std::string shown = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(shown, "\r\x1b[K"), 7) << shown;
  // 23 steps to go at 10 s each.
  EXPECT_NE(shown.find("epoch 1/3  step 7/10  ETA 3 min 50 s"), std::string::npos) << shown;
  EXPECT_EQ(shown.find('\n'), std::string::npos) << "a live line ends no line: " << shown;
}

TEST(Progress, ALiveLineIsRedrawnAtMostFiveTimesASecond) {
  const Console console(true);
  FakeClock time;
  Progress progress(console, 1, /*live=*/true, time.clock());
  progress.set_steps_per_epoch(1000);
  progress.start();
  testing::internal::CaptureStderr();
  // 2 s of steps 1/16 s apart: a redraw every fourth (0.25 s).
  for (int s = 1; s <= 32; ++s) {
    time.now += 0.0625;
    progress.step(1, static_cast<std::uint64_t>(s));
  }
  const std::string shown = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(shown, "step "), 8) << shown;
}

TEST(Progress, ABatchLogGetsAPlainLineAtMostEveryMinute) {
  const Console console(true);
  FakeClock time;
  Progress progress(console, 2, /*live=*/false, time.clock());
  progress.set_steps_per_epoch(100);
  testing::internal::CaptureStderr();
  progress.start();
  for (int s = 1; s <= 13; ++s) {
    time.now += 10.0;
    progress.step(1, static_cast<std::uint64_t>(s));
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(log, "\n"), 2) << log;  // at 60 s and 120 s
  EXPECT_EQ(log.find('\r'), std::string::npos) << log;
  EXPECT_EQ(log.find("\x1b"), std::string::npos) << log;
  EXPECT_NE(log.find("epoch 1/2: step 6/100, ETA 32 min 20 s\n"), std::string::npos) << log;
}

TEST(Progress, NothingWithinAnEpochWithoutSteps) {
  const Console console(true);
  FakeClock time;
  Progress progress(console, 2, /*live=*/false, time.clock());
  testing::internal::CaptureStderr();
  progress.start();
  time.now += 100.0;
  progress.step(1, 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Progress, OnlyTheSpeakingRankShowsAnything) {
  const Console console(false);
  FakeClock time;
  Progress progress(console, 2, /*live=*/true, time.clock());
  progress.set_steps_per_epoch(10);
  testing::internal::CaptureStderr();
  progress.start();
  time.now += 100.0;
  progress.step(1, 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(LoadProgress, SilentForTheFirstSecondThenALiveLineClearedAtTheEnd) {
  const Console console(true);
  FakeClock time;
  testing::internal::CaptureStderr();
  {
    LoadProgress progress(console, "r.csv", 200'000'000, /*live=*/true, time.clock());
    time.now += 0.5;
    progress.update(0.2);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "") << "a fast load says nothing";
    testing::internal::CaptureStderr();
    time.now += 1.5;  // 2 s for 40% of 200 MB: 40 MB/s, 3 s left
    progress.update(0.4);
    time.now += 0.1;  // within the redraw interval: not drawn again
    progress.update(0.45);
  }
  const std::string shown = testing::internal::GetCapturedStderr();
  EXPECT_EQ(shown, "\r\x1b[Kreading r.csv: 80 of 200 MB, 40 MB/s, ETA 3 s\r\x1b[K");
}

TEST(LoadProgress, APlainLineEveryTenSecondsInABatchLog) {
  const Console console(true);
  FakeClock time;
  LoadProgress progress(console, "big.csv", 0, /*live=*/false, time.clock());
  testing::internal::CaptureStderr();
  for (int s = 1; s <= 25; ++s) {
    time.now += 1.0;
    progress.update(s / 50.0);
  }
  progress.finish();
  const std::string log = testing::internal::GetCapturedStderr();
  // Unknown size: a percentage. Shown at 1 s, 11 s and 21 s.
  EXPECT_EQ(log,
            "reading big.csv: 2%, ETA 49 s\n"
            "reading big.csv: 22%, ETA 39 s\n"
            "reading big.csv: 42%, ETA 29 s\n");
}

TEST(LoadProgress, TheLineGoesOnThroughTheRouting) {
  const Console console(true);
  FakeClock time;
  testing::internal::CaptureStderr();
  {
    LoadProgress progress(console, "r.csv", 100'000'000, /*live=*/false, time.clock());
    time.now += 0.5;
    progress.update(1.0);  // read in half a second: nothing shown
    progress.route(0.0);   // routing begins at 0.5 s
    time.now += 1.0;       // 1.5 s: 25% routed in 1 s, 3 s left
    progress.route(0.25);
    time.now += 1.0;  // within a batch log's 10 s: not shown
    progress.route(0.5);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "routing r.csv: 25% of the ratings placed, ETA 3 s\n");
}

TEST(LoadProgress, OnlyTheSpeakingRankShowsAnything) {
  const Console console(false);
  FakeClock time;
  LoadProgress progress(console, "r.csv", 1000, /*live=*/true, time.clock());
  testing::internal::CaptureStderr();
  time.now += 5.0;
  progress.update(0.5);
  progress.finish();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace dmf::train
