#include "dmf/train/metrics_log.hpp"

#include <cstdio>
#include <filesystem>

#include "dmf/core/error.hpp"

namespace dmf::train {

namespace {

/// The prefix of the validation figures' keys.
constexpr std::string_view kValidationPrefix = "validation_";

/// Rank 0: why the metrics file at `path` is not the one of the run whose
/// checkpoint has `history`, or "". Its lines must begin as the history
/// does; lines after it are epochs the killed run finished after the
/// checkpoint, and a last line without its newline was cut by the kill.
std::string not_this_runs(const std::string& path, const nlohmann::json& history) {
  std::ifstream in(path);
  std::string line;
  for (std::size_t index = 0; std::getline(in, line) && index < history.size(); ++index) {
    const nlohmann::json got = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!got.is_object()) {
      if (in.eof()) break;  // torn last line
      return fmt::format("its line {} is not a JSON object", index + 1);
    }
    const nlohmann::json& want = history[index];
    if (got.value("epoch", nlohmann::json()) != want.at("epoch") ||
        got.value("objective", nlohmann::json()) != want.at("objective")) {
      return fmt::format(
          "its line {} (epoch {}, objective {}) is not the checkpoint's epoch {} (objective {})",
          index + 1, got.value("epoch", nlohmann::json()).dump(),
          got.value("objective", nlohmann::json()).dump(), want.at("epoch").dump(),
          want.at("objective").dump());
    }
  }
  return {};
}

}  // namespace

void MetricsLog::check(const dist::Comm& comm, const std::string& path,
                       const MetricsTakeover& takeover) {
  if (path == "-") return;  // standard output: nothing there to keep
  comm.agree([&] {
    std::error_code ec;
    if (!comm.is_root() || takeover.overwrite || !std::filesystem::exists(path, ec)) return;
    if (takeover.history != nullptr) {
      const std::string why = not_this_runs(path, *takeover.history);
      DMF_CHECK(why.empty(),
                "{} is not this run's metrics file ({}); pass --overwrite to replace it, or give "
                "another --metrics-out",
                path, why);
      return;
    }
    const bool empty =
        std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) == 0;
    DMF_CHECK(takeover.empty && empty,
              "{} exists; pass --overwrite to replace it, or give another --metrics-out (only a "
              "run resumed from a checkpoint rewrites its own metrics file)",
              path);
  });
}

MetricsLog::MetricsLog(const dist::Comm& comm, std::string path, const MetricsTakeover& takeover)
    : path_(std::move(path)) {
  check(comm, path_, takeover);
  comm.agree([&] {
    if (!comm.is_root()) return;
    to_stdout_ = path_ == "-";
    if (to_stdout_) return;
    out_.open(path_, std::ios::out | std::ios::trunc);
    DMF_CHECK(out_.good(), "cannot create {}", path_);
  });
}

nlohmann::json MetricsLog::to_json(const EpochRecord& r) {
  nlohmann::json line{{"epoch", r.epoch},      {"loss", r.loss},       {"objective", r.objective},
                      {"train_rmse", nullptr}, {"seconds", r.seconds}, {"elapsed", r.elapsed}};
  // null under implicit feedback: the key stays, as readers expect it.
  if (r.train_rmse) line["train_rmse"] = *r.train_rmse;
  if (r.validation_rmse) line["validation_rmse"] = *r.validation_rmse;
  // The watched metric's column is named after it: "validation_ndcg@10".
  if (!r.validation_metric.empty()) {
    line[std::string(kValidationPrefix) + r.validation_metric] =
        r.validation_value ? nlohmann::json(*r.validation_value) : nlohmann::json(nullptr);
  }
  if (r.learning_rate) line["learning_rate"] = *r.learning_rate;
  if (r.parameter_change) line["parameter_change"] = *r.parameter_change;
  if (r.gradient_norm) line["gradient_norm"] = *r.gradient_norm;
  return line;
}

EpochRecord MetricsLog::from_json(const nlohmann::json& line) {
  EpochRecord r;
  r.epoch = line.at("epoch").get<int>();
  r.loss = line.at("loss").get<double>();
  r.objective = line.at("objective").get<double>();
  if (!line.at("train_rmse").is_null()) r.train_rmse = line["train_rmse"].get<double>();
  r.seconds = line.at("seconds").get<double>();
  r.elapsed = line.at("elapsed").get<double>();
  const auto optional = [&](const char* key, std::optional<double>& value) {
    if (line.contains(key)) value = line[key].get<double>();
  };
  optional("validation_rmse", r.validation_rmse);
  for (const auto& [key, value] : line.items()) {
    if (!key.starts_with(kValidationPrefix) || key == "validation_rmse") continue;
    r.validation_metric = key.substr(kValidationPrefix.size());
    if (value.is_number()) r.validation_value = value.get<double>();
  }
  optional("learning_rate", r.learning_rate);
  optional("parameter_change", r.parameter_change);
  optional("gradient_norm", r.gradient_norm);
  return r;
}

void MetricsLog::write(const EpochRecord& record) {
  if (!out_.is_open() && !to_stdout_) return;
  nlohmann::json line = to_json(record);
  if (restart_ > 0) line["restart"] = restart_;
  if (to_stdout_) {
    // A write error shows at the exit check of standard output.
    std::fputs((line.dump() + '\n').c_str(), stdout);
    std::fflush(stdout);
    return;
  }
  out_ << line.dump() << '\n';
  out_.flush();
  DMF_CHECK(out_.good(), "cannot write {}", path_);
}

}  // namespace dmf::train
