#include "dmf/plot/learning_curves.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "dmf/core/error.hpp"

namespace dmf::plot {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A line as quoted in an error: long lines shortened.
std::string shown_line(const std::string& line) {
  constexpr std::size_t kMax = 120;
  return line.size() <= kMax ? line : line.substr(0, kMax) + "...";
}

/// Reads the fields of one line, failing with `where` (file:line) and the line.
class LineFields {
 public:
  LineFields(const nlohmann::json& object, std::string where, const std::string& line)
      : object_(object), where_(std::move(where)), line_(line) {}

  /// A number that must be there and not be null.
  [[nodiscard]] double required(const char* key) const {
    const double v = nullable(key);
    DMF_CHECK(!std::isnan(v), "{}: \"{}\" is null: {}", where_, key, shown_line(line_));
    return v;
  }
  /// A number that must be there; null (not measured) is NaN.
  [[nodiscard]] double nullable(const char* key) const {
    DMF_CHECK(object_.contains(key), "{}: no \"{}\" field: {}", where_, key, shown_line(line_));
    return optional(key);
  }
  /// A number, NaN when absent or null.
  [[nodiscard]] double optional(const char* key) const {
    if (!object_.contains(key) || object_[key].is_null()) return kNaN;
    DMF_CHECK(object_[key].is_number(), "{}: \"{}\" is not a number: {}", where_, key,
              shown_line(line_));
    return object_[key].get<double>();
  }

 private:
  const nlohmann::json& object_;
  std::string where_;
  const std::string& line_;
};

std::string curve_label(const std::string& label, std::optional<int> restart) {
  return restart ? fmt::format("{} (restart {})", label, *restart) : label;
}

}  // namespace

std::vector<Curve> read_metrics_file(const std::string& path, const std::string& label) {
  std::ifstream in(path);
  DMF_CHECK(in.is_open(), "cannot read {}: {}", path, std::strerror(errno));
  std::vector<Curve> curves;
  std::optional<int> restart;  // of the curve being read
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, number);
    const auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    DMF_CHECK(object.is_object(), "{}: not a JSON object: {}", where, shown_line(line));
    const LineFields fields(object, where, line);
    // --restarts N numbers the lines of each restart; a new number starts a curve.
    std::optional<int> line_restart;
    if (object.contains("restart")) line_restart = static_cast<int>(fields.required("restart"));
    if (curves.empty() || line_restart != restart) {
      restart = line_restart;
      curves.emplace_back().label = curve_label(label, restart);
    }
    Curve& c = curves.back();
    c.epoch.push_back(fields.required("epoch"));
    c.elapsed.push_back(fields.required("elapsed"));
    c.loss.push_back(fields.nullable("loss"));
    c.train_rmse.push_back(fields.nullable("train_rmse"));
    c.validation_rmse.push_back(fields.optional("validation_rmse"));
  }
  DMF_CHECK(!in.bad(), "cannot read {}: {}", path, std::strerror(errno));
  DMF_CHECK(!curves.empty(), "{}: no epochs in the file (is it a dmf train --metrics-out file?)",
            path);
  return curves;
}

Chart learning_curves_chart(std::span<const Curve> curves) {
  struct Metric {
    const char* id;
    const char* name;
    const char* axis;
    std::vector<double> Curve::*values;
  };
  const Metric metrics[] = {
      {"loss", "Loss", "loss (objective / ratings)", &Curve::loss},
      {"train_rmse", "Train RMSE", "train RMSE", &Curve::train_rmse},
      {"validation_rmse", "Validation RMSE", "validation RMSE", &Curve::validation_rmse},
  };
  Chart chart;
  chart.title = "Learning curves";
  chart.columns = 2;
  for (const auto& c : curves) chart.runs.push_back(c.label);
  for (const auto& m : metrics) {
    for (const bool by_epoch : {true, false}) {
      Panel panel;
      panel.id = fmt::format("{}-{}", m.id, by_epoch ? "epoch" : "seconds");
      panel.title = fmt::format("{} {}", m.name, by_epoch ? "by epoch" : "over time");
      panel.x_label = by_epoch ? "epoch" : "seconds since training started";
      panel.y_label = m.axis;
      panel.integer_x = by_epoch;
      panel.empty_note = fmt::format("no {} in these runs", m.axis);
      for (std::size_t r = 0; r < curves.size(); ++r) {
        panel.series.push_back({.run = static_cast<int>(r),
                                .x = by_epoch ? curves[r].epoch : curves[r].elapsed,
                                .y = curves[r].*m.values});
      }
      chart.panels.push_back(std::move(panel));
    }
  }
  return chart;
}

}  // namespace dmf::plot
