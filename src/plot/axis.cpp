#include "dmf/plot/axis.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace dmf::plot {

Axis nice_axis(double lo, double hi, int target, bool integer) {
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {
    // One value: a range around it, so that it sits in the middle.
    const double half = lo == 0.0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= half;
    hi += half;
  }
  const double raw = (hi - lo) / std::max(1, target);
  int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double fraction = raw / std::pow(10.0, exponent);
  double mantissa = fraction < 1.5 ? 1.0 : fraction < 3.0 ? 2.0 : fraction < 7.0 ? 5.0 : 10.0;
  if (integer && exponent < 0) {
    mantissa = 1.0;
    exponent = 0;
  }
  // step = mantissa · 10^exponent. A tick is k · mantissa scaled by the power
  // of ten in one rounding (a division for negative exponents), so 17 · 0.05
  // is the double nearest 0.85, not 0.8500000000000001, and data points on a
  // tick stay inside the axis.
  const double scale = std::pow(10.0, std::abs(exponent));
  const auto value = [&](double k) {
    return exponent < 0 ? k * mantissa / scale : k * mantissa * scale;
  };
  Axis axis;
  axis.step = value(1.0);
  const auto first = static_cast<long long>(std::floor(lo / axis.step + 1e-9));
  const auto last = static_cast<long long>(std::ceil(hi / axis.step - 1e-9));
  for (long long k = first; k <= last; ++k) axis.ticks.push_back(value(static_cast<double>(k)));
  axis.min = axis.ticks.front();
  axis.max = axis.ticks.back();
  return axis;
}

std::string tick_label(double value, double step) {
  const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 12);
  if (std::abs(value) < step * 1e-6) value = 0.0;  // no "-0.00"
  return fmt::format("{:.{}f}", value, decimals);
}

Frame::Frame(Rect area, Axis x, Axis y) : area_(area), x_(std::move(x)), y_(std::move(y)) {}

double Frame::px(double x) const noexcept {
  return area_.left + (x - x_.min) / (x_.max - x_.min) * area_.width;
}

double Frame::py(double y) const noexcept {
  return area_.bottom() - (y - y_.min) / (y_.max - y_.min) * area_.height;
}

}  // namespace dmf::plot
