#include "dmf/plot/svg_chart.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace dmf::plot {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(NiceAxis, CoversTheRangeWithStepsOfOneTwoOrFive) {
  const Axis a = nice_axis(0.83, 1.27, 5);
  EXPECT_DOUBLE_EQ(a.step, 0.1);
  EXPECT_DOUBLE_EQ(a.min, 0.8);
  EXPECT_DOUBLE_EQ(a.max, 1.3);
  ASSERT_EQ(a.ticks.size(), 6U);
  EXPECT_DOUBLE_EQ(a.ticks[2], 1.0);

  const Axis b = nice_axis(0.0, 37.0, 6);
  EXPECT_DOUBLE_EQ(b.step, 5.0);
  EXPECT_DOUBLE_EQ(b.max, 40.0);

  const Axis c = nice_axis(3.2, 19.9, 5);
  EXPECT_DOUBLE_EQ(c.step, 5.0);
  EXPECT_DOUBLE_EQ(c.min, 0.0);
  EXPECT_DOUBLE_EQ(c.max, 20.0);

  const Axis d = nice_axis(0.853, 0.951, 5);  // ticks exactly on the decimals
  EXPECT_EQ(d.step, 0.02);
  EXPECT_EQ(d.ticks.front(), 0.84);
  EXPECT_EQ(d.ticks.back(), 0.96);
}

TEST(NiceAxis, EpochAxesStepByWholeNumbers) {
  const Axis a = nice_axis(1.0, 3.0, 6, /*integer=*/true);
  EXPECT_DOUBLE_EQ(a.step, 1.0);
  EXPECT_DOUBLE_EQ(a.min, 1.0);
  EXPECT_DOUBLE_EQ(a.max, 3.0);
  EXPECT_EQ(a.ticks.size(), 3U);
}

TEST(NiceAxis, OneValueIsWidenedAroundIt) {
  const Axis a = nice_axis(2.0, 2.0, 5);
  EXPECT_LT(a.min, 2.0);
  EXPECT_GT(a.max, 2.0);
  const Axis zero = nice_axis(0.0, 0.0, 5);
  EXPECT_LT(zero.min, 0.0);
  EXPECT_GT(zero.max, 0.0);
}

TEST(TickLabel, HasTheDecimalsOfTheStep) {
  EXPECT_EQ(tick_label(0.85, 0.05), "0.85");
  EXPECT_EQ(tick_label(0.9, 0.1), "0.9");
  EXPECT_EQ(tick_label(12.0, 2.0), "12");
  EXPECT_EQ(tick_label(-1e-17, 0.1), "0.0");
}

TEST(Frame, MapsTheAxisRangeOntoTheAreaWithYUpwards) {
  const Frame f({100, 50, 200, 100}, nice_axis(0, 4, 4), nice_axis(0, 2, 2));
  EXPECT_DOUBLE_EQ(f.px(0), 100);
  EXPECT_DOUBLE_EQ(f.px(4), 300);
  EXPECT_DOUBLE_EQ(f.px(1), 150);
  EXPECT_DOUBLE_EQ(f.py(0), 150);
  EXPECT_DOUBLE_EQ(f.py(2), 50);
  EXPECT_DOUBLE_EQ(f.py(0.5), 125);
}

TEST(PathData, KnownSeriesGivesKnownCoordinates) {
  const Frame f({100, 50, 200, 100}, nice_axis(0, 4, 4), nice_axis(0, 2, 2));
  const Series s{.run = 0, .x = {1, 2, 3, 4}, .y = {0.5, 1.0, 1.5, 2.0}};
  EXPECT_EQ(path_data(f, s), "M150.00 125.00 L200.00 100.00 L250.00 75.00 L300.00 50.00");
}

TEST(PathData, NullMetricsAreGapsNotZeros) {
  const Frame f({100, 50, 200, 100}, nice_axis(0, 4, 4), nice_axis(0, 2, 2));
  const Series s{.run = 0, .x = {1, 2, 3, 4}, .y = {0.5, kNaN, 1.5, 2.0}};
  EXPECT_EQ(path_data(f, s), "M150.00 125.00 M250.00 75.00 L300.00 50.00");
  const Series none{.run = 0, .x = {1, 2}, .y = {kNaN, kNaN}};
  EXPECT_EQ(path_data(f, none), "");
}

TEST(FitFrame, AxesCoverEveryFinitePointOfEverySeries) {
  Panel panel;
  panel.integer_x = true;
  panel.series = {{.run = 0, .x = {1, 2, 3}, .y = {1.2, 0.95, kNaN}},
                  {.run = 1, .x = {1, 2, 3, 4, 5}, .y = {1.1, 0.9, 0.87, 0.86, 0.85}}};
  const Frame f = fit_frame(panel, {0, 0, 100, 100});
  EXPECT_DOUBLE_EQ(f.x().min, 1.0);
  EXPECT_DOUBLE_EQ(f.x().max, 5.0);
  EXPECT_LE(f.y().min, 0.85);
  EXPECT_GE(f.y().max, 1.2);
  EXPECT_GT(f.y().min, 0.7);  // the range follows the data, not zero
}

TEST(RenderSvg, OnePathPerSeriesWithPointsAndTheLegendEscaped) {
  Chart chart;
  chart.title = "t";
  chart.runs = {"a<b&c", "second"};
  Panel p;
  p.id = "loss-epoch";
  p.series = {{.run = 0, .x = {1, 2, 3}, .y = {3, 2, 1}},
              {.run = 1, .x = {1, 2, 3}, .y = {kNaN, kNaN, kNaN}}};
  Panel empty;
  empty.id = "empty";
  empty.empty_note = "nothing here";
  chart.panels = {p, empty};
  const std::string svg = render_svg(chart);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0U);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<path class=\"series\""), 1U);  // the all-null series draws nothing
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 3U);
  EXPECT_EQ(count(svg, "class=\"legend-entry\""), 2U);
  EXPECT_NE(svg.find("a&lt;b&amp;c"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_NE(svg.find("nothing here"), std::string::npos);
  EXPECT_NE(svg.find(R"(id="loss-epoch")"), std::string::npos);
}

TEST(RenderSvg, LongSeriesGetDotsOnlyWhereAPointStandsAlone) {
  // 40 points, too many for a dot each; point 21 lies between two gaps, a
  // path of one "M" that only its dot makes visible.
  Series s{.run = 0, .x = {}, .y = {}};
  for (int i = 0; i < 40; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 20 || i == 22 ? kNaN : 1.0 / (1 + i));
  }
  Chart chart;
  chart.runs = {"r"};
  Panel p;
  p.series = {s};
  chart.panels = {p};
  const std::string svg = render_svg(chart);
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 1U);
  const Frame f = fit_frame(p, {16 + 68, 40 + 18 + 8 + 30, 440 - 68 - 16, 270 - 30 - 46});
  EXPECT_NE(svg.find(fmt::format(R"(cx="{:.2f}" cy="{:.2f}")", f.px(21), f.py(1.0 / 22))),
            std::string::npos);
}

TEST(RenderSvg, ThePathIsTheFrameOfItsPanel) {
  // One panel at the default layout: its plotting area starts after the
  // outer margin and the panel's left and top margins.
  Chart chart;
  chart.runs = {"r"};
  chart.columns = 1;
  Panel p;
  p.id = "p";
  p.series = {{.run = 0, .x = {0, 10}, .y = {0, 1}}};
  chart.panels = {p};
  const PanelLayout layout;
  const std::string svg = render_svg(chart, layout);
  const double left = 16 + layout.margin_left;
  const double top = 40 + 18 + 8 + layout.margin_top;
  const double width = layout.width - layout.margin_left - layout.margin_right;
  const double height = layout.height - layout.margin_top - layout.margin_bottom;
  const std::string d =
      fmt::format("M{:.2f} {:.2f} L{:.2f} {:.2f}", left, top + height, left + width, top);
  EXPECT_NE(svg.find("d=\"" + d + "\""), std::string::npos) << svg;
}

TEST(RunColour, TenDistinctColours) {
  std::set<std::string> colours;
  for (int r = 0; r < 10; ++r) colours.insert(run_colour(r));
  EXPECT_EQ(colours.size(), 10U);
}

}  // namespace
}  // namespace dmf::plot
