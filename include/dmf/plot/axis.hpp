// Axes of a chart: a data range with "nice" tick values (1, 2 or 5 times a
// power of ten) and the linear map from data to SVG coordinates.
#pragma once

#include <string>
#include <vector>

namespace dmf::plot {

/// A data range [min, max] and the tick values that label it. The range
/// starts and ends on a tick, so every value the axis was made for lies
/// between the first and the last tick.
struct Axis {
  double min = 0.0;
  double max = 1.0;
  double step = 1.0;          // between two ticks
  std::vector<double> ticks;  // min, min + step, ..., max
};

/// An axis covering [lo, hi] with about `target` intervals of 1, 2 or 5
/// times a power of ten (`integer`: steps of at least 1, for epochs). A
/// range of one value is widened around it.
[[nodiscard]] Axis nice_axis(double lo, double hi, int target = 5, bool integer = false);

/// A tick label: as many decimals as the step needs ("0.85" for a step of
/// 0.05, "12" for a step of 2).
[[nodiscard]] std::string tick_label(double value, double step);

/// A rectangle in SVG coordinates (y grows downwards).
struct Rect {
  double left = 0.0;
  double top = 0.0;
  double width = 0.0;
  double height = 0.0;
  [[nodiscard]] double right() const noexcept { return left + width; }
  [[nodiscard]] double bottom() const noexcept { return top + height; }
};

/// The plotting area of a panel and the data ranges it shows:
///   px(x) = left + (x − x.min) / (x.max − x.min) · width
///   py(y) = bottom − (y − y.min) / (y.max − y.min) · height
class Frame {
 public:
  Frame(Rect area, Axis x, Axis y);

  [[nodiscard]] double px(double x) const noexcept;
  [[nodiscard]] double py(double y) const noexcept;
  [[nodiscard]] const Rect& area() const noexcept { return area_; }
  [[nodiscard]] const Axis& x() const noexcept { return x_; }
  [[nodiscard]] const Axis& y() const noexcept { return y_; }

 private:
  Rect area_;
  Axis x_;
  Axis y_;
};

}  // namespace dmf::plot
