#include "dmf/plot/svg_chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dmf::plot {
namespace {

constexpr double kOuterMargin = 16.0;
constexpr double kTitleHeight = 40.0;
constexpr double kLegendRow = 18.0;
constexpr double kTickLength = 5.0;
// Up to this many points a series also gets a dot per point, so a short run
// shows where its epochs are; longer ones would be a smear of dots.
constexpr std::size_t kMaxMarkedPoints = 30;

/// A coordinate as written into the SVG (what the tests read back).
std::string coordinate(double v) { return fmt::format("{:.2f}", v); }

/// True when point i exists on both coordinates and is drawn (not a gap).
bool finite_point(const Series& s, std::size_t i) {
  return i < s.x.size() && i < s.y.size() && std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
}

std::size_t finite_points(const Series& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.x.size(); ++i) n += finite_point(s, i) ? 1 : 0;
  return n;
}

/// `<path>` (and dots) of one series.
std::string draw_series(const Frame& frame, const Series& s, const std::string& label) {
  const std::string colour = run_colour(s.run);
  const std::string dash = s.run >= 10 ? R"( stroke-dasharray="6 3")" : "";
  std::string out = fmt::format(
      R"(<path class="series" data-run="{}" d="{}" fill="none" stroke="{}" stroke-width="2" )"
      R"(stroke-linejoin="round" stroke-linecap="round"{}><title>{}</title></path>)"
      "\n",
      s.run, path_data(frame, s), colour, dash, xml_escape(label));
  const bool mark_all = finite_points(s) <= kMaxMarkedPoints;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    if (!finite_point(s, i)) continue;
    // A point with no finite neighbour is a path of one "M": invisible
    // without its dot.
    const bool isolated =
        (i == 0 || !finite_point(s, i - 1)) && (i + 1 == s.x.size() || !finite_point(s, i + 1));
    if (!mark_all && !isolated) continue;
    out += fmt::format(R"(<circle class="point" data-run="{}" cx="{}" cy="{}" r="2.5" fill="{}"/>)"
                       "\n",
                       s.run, coordinate(frame.px(s.x[i])), coordinate(frame.py(s.y[i])), colour);
  }
  return out;
}

std::string draw_panel(const Panel& panel, const Chart& chart, double left, double top,
                       const PanelLayout& layout) {
  const Rect area{left + layout.margin_left, top + layout.margin_top,
                  layout.width - layout.margin_left - layout.margin_right,
                  layout.height - layout.margin_top - layout.margin_bottom};
  const Frame frame = fit_frame(panel, area);
  const auto& x = frame.x();
  const auto& y = frame.y();
  std::string out = fmt::format(R"(<g class="panel" id="{}">)"
                                "\n",
                                xml_escape(panel.id));
  out += fmt::format(
      R"(<text class="title" x="{}" y="{}" text-anchor="middle" font-size="14" font-weight="bold">{}</text>)"
      "\n",
      coordinate(area.left + area.width / 2), coordinate(top + 20), xml_escape(panel.title));
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff"/>)"
                     "\n",
                     coordinate(area.left), coordinate(area.top), coordinate(area.width),
                     coordinate(area.height));
  // Ticks: a grid line across the area, a mark outside it, and the label.
  for (const double t : x.ticks) {
    const std::string p = coordinate(frame.px(t));
    out += fmt::format(
        R"(<g class="tick-x"><line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#e6e6e6"/>)"
        R"(<line x1="{0}" y1="{2}" x2="{0}" y2="{3}" stroke="#444444"/>)"
        R"(<text x="{0}" y="{4}" text-anchor="middle">{5}</text></g>)"
        "\n",
        p, coordinate(area.top), coordinate(area.bottom()), coordinate(area.bottom() + kTickLength),
        coordinate(area.bottom() + 18), tick_label(t, x.step));
  }
  for (const double t : y.ticks) {
    const std::string p = coordinate(frame.py(t));
    out += fmt::format(
        R"(<g class="tick-y"><line x1="{1}" y1="{0}" x2="{2}" y2="{0}" stroke="#e6e6e6"/>)"
        R"(<line x1="{3}" y1="{0}" x2="{1}" y2="{0}" stroke="#444444"/>)"
        R"(<text x="{4}" y="{5}" text-anchor="end">{6}</text></g>)"
        "\n",
        p, coordinate(area.left), coordinate(area.right()), coordinate(area.left - kTickLength),
        coordinate(area.left - kTickLength - 3), coordinate(frame.py(t) + 4),
        tick_label(t, y.step));
  }
  out += fmt::format(R"(<text class="x-label" x="{}" y="{}" text-anchor="middle">{}</text>)"
                     "\n",
                     coordinate(area.left + area.width / 2), coordinate(area.bottom() + 36),
                     xml_escape(panel.x_label));
  const double label_x = left + 16;
  const double label_y = area.top + area.height / 2;
  out += fmt::format(
      R"svg(<text class="y-label" x="{0}" y="{1}" text-anchor="middle" transform="rotate(-90 {0} {1})">{2}</text>)svg"
      "\n",
      coordinate(label_x), coordinate(label_y), xml_escape(panel.y_label));
  bool any = false;
  for (const auto& s : panel.series) {
    if (finite_points(s) == 0) continue;
    any = true;
    const auto run = static_cast<std::size_t>(s.run);
    out += draw_series(frame, s, run < chart.runs.size() ? chart.runs[run] : "");
  }
  if (!any) {
    out += fmt::format(
        R"(<text class="no-data" x="{}" y="{}" text-anchor="middle" fill="#777777">{}</text>)"
        "\n",
        coordinate(area.left + area.width / 2), coordinate(area.top + area.height / 2),
        xml_escape(panel.empty_note));
  }
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444444"/>)"
                     "\n</g>\n",
                     coordinate(area.left), coordinate(area.top), coordinate(area.width),
                     coordinate(area.height));
  return out;
}

}  // namespace

Frame fit_frame(const Panel& panel, const Rect& area) {
  double x_lo = std::numeric_limits<double>::infinity();
  double x_hi = -x_lo;
  double y_lo = x_lo;
  double y_hi = -x_lo;
  for (const auto& s : panel.series) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!finite_point(s, i)) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  }
  if (x_lo > x_hi) {  // nothing to show
    x_lo = y_lo = 0.0;
    x_hi = y_hi = 1.0;
  }
  return {area, nice_axis(x_lo, x_hi, 6, panel.integer_x), nice_axis(y_lo, y_hi, 5)};
}

std::string path_data(const Frame& frame, const Series& series) {
  std::string d;
  bool in_line = false;
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    if (!finite_point(series, i)) {
      in_line = false;
      continue;
    }
    if (!d.empty()) d += ' ';
    d += in_line ? 'L' : 'M';
    d += coordinate(frame.px(series.x[i]));
    d += ' ';
    d += coordinate(frame.py(series.y[i]));
    in_line = true;
  }
  return d;
}

std::string run_colour(int run) {
  // Tableau 10: distinct hues that stay apart for colour-blind readers too.
  static constexpr std::array<const char*, 10> kColours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                        "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                        "#bcbd22", "#17becf"};
  return kColours[static_cast<std::size_t>(std::max(run, 0)) % kColours.size()];
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_svg(const Chart& chart, const PanelLayout& layout) {
  const int columns = std::max(1, chart.columns);
  const auto rows = static_cast<int>((chart.panels.size() + static_cast<std::size_t>(columns) - 1) /
                                     static_cast<std::size_t>(columns));
  const double legend_height = kLegendRow * static_cast<double>(chart.runs.size()) + 8.0;
  const double panels_top = kTitleHeight + legend_height;
  const double width = 2 * kOuterMargin + columns * layout.width;
  const double height = panels_top + rows * layout.height + kOuterMargin;

  std::string out = fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      "\n"
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
      R"(font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12" fill="#222222">)"
      "\n"
      R"(<rect width="{0}" height="{1}" fill="#ffffff"/>)"
      "\n"
      R"(<text class="chart-title" x="{2}" y="26" font-size="18" font-weight="bold">{3}</text>)"
      "\n",
      coordinate(width), coordinate(height), coordinate(kOuterMargin), xml_escape(chart.title));

  out += "<g class=\"legend\">\n";
  for (std::size_t r = 0; r < chart.runs.size(); ++r) {
    const double y = kTitleHeight + kLegendRow * static_cast<double>(r) + kLegendRow / 2;
    const int run = static_cast<int>(r);
    const std::string dash = run >= 10 ? R"( stroke-dasharray="6 3")" : "";
    out += fmt::format(
        R"(<g class="legend-entry" data-run="{0}"><line x1="{1}" y1="{2}" x2="{3}" y2="{2}" )"
        R"(stroke="{4}" stroke-width="3"{5}/><text x="{6}" y="{7}">{8}</text></g>)"
        "\n",
        run, coordinate(kOuterMargin + 4), coordinate(y), coordinate(kOuterMargin + 32),
        run_colour(run), dash, coordinate(kOuterMargin + 40), coordinate(y + 4),
        xml_escape(chart.runs[r]));
  }
  out += "</g>\n";

  for (std::size_t p = 0; p < chart.panels.size(); ++p) {
    const auto column = static_cast<double>(p % static_cast<std::size_t>(columns));
    const auto row = static_cast<double>(p / static_cast<std::size_t>(columns));
    out += draw_panel(chart.panels[p], chart, kOuterMargin + column * layout.width,
                      panels_top + row * layout.height, layout);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace dmf::plot
