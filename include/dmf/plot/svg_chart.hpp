// Line charts as SVG text: panels of overlaid series with axes, ticks, axis
// labels and one legend, drawn by hand (no library). Pure functions of their
// input, so the geometry is testable without MPI or files.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dmf/plot/axis.hpp"

namespace dmf::plot {

/// One curve of a panel, in data coordinates. A y that is NaN is a gap: the
/// line stops before it and starts again after it (a metric that was not
/// measured is never drawn as 0). x and y hold one value per point.
struct Series {
  int run = 0;  // index into the chart's legend: colour and label
  std::vector<double> x;
  std::vector<double> y;
};

/// One chart of the grid.
struct Panel {
  std::string id;  // the SVG id of its group, e.g. "loss-epoch"
  std::string title;
  std::string x_label;
  std::string y_label;
  bool integer_x = false;              // x ticks at whole numbers (epochs)
  std::string empty_note = "no data";  // shown when no series has a point
  std::vector<Series> series;
};

/// The panels in a grid of `columns` columns, under a title and a legend
/// naming `runs` (their index is Series::run).
struct Chart {
  std::string title;
  std::vector<std::string> runs;
  int columns = 2;
  std::vector<Panel> panels;
};

/// Size of one panel and of its margins, in SVG units (pixels at scale 1).
struct PanelLayout {
  double width = 440.0;
  double height = 270.0;
  double margin_left = 68.0;  // y tick labels and the y label
  double margin_right = 16.0;
  double margin_top = 30.0;     // the title
  double margin_bottom = 46.0;  // x tick labels and the x label
};

/// The frame a panel's series are drawn in: the axes cover every finite
/// point of every series (0..1 when there is none), inside `area`.
[[nodiscard]] Frame fit_frame(const Panel& panel, const Rect& area);

/// SVG path data of a series: "M x y L x y ..." with two decimals; each run
/// of finite points after a gap starts with a new "M".
[[nodiscard]] std::string path_data(const Frame& frame, const Series& series);

/// The stroke colour of run `run` (ten distinct colours, then again dashed).
[[nodiscard]] std::string run_colour(int run);

/// `text` with &, <, >, " and ' escaped for XML.
[[nodiscard]] std::string xml_escape(std::string_view text);

/// The whole chart as an SVG document.
[[nodiscard]] std::string render_svg(const Chart& chart, const PanelLayout& layout = {});

}  // namespace dmf::plot
