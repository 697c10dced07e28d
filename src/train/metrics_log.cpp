#include "dmf/train/metrics_log.hpp"

#include <cstdio>
#include <filesystem>

#include "dmf/core/error.hpp"

namespace dmf::train {

MetricsLog::MetricsLog(const dist::Comm& comm, std::string path, bool overwrite)
    : path_(std::move(path)) {
  comm.agree([&] {
    if (!comm.is_root()) return;
    to_stdout_ = path_ == "-";
    if (to_stdout_) return;
    std::error_code ignored;
    DMF_CHECK(overwrite || !std::filesystem::exists(path_, ignored),
              "{} exists; pass --overwrite to replace it", path_);
    out_.open(path_, std::ios::out | std::ios::trunc);
    DMF_CHECK(out_.good(), "cannot create {}", path_);
  });
}

nlohmann::json MetricsLog::to_json(const EpochRecord& r) {
  nlohmann::json line{{"epoch", r.epoch},           {"loss", r.loss},
                      {"objective", r.objective},   {"train_rmse", r.train_rmse},
                      {"seconds", r.seconds},       {"elapsed", r.elapsed}};
  if (r.validation_rmse) line["validation_rmse"] = *r.validation_rmse;
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
  r.train_rmse = line.at("train_rmse").get<double>();
  r.seconds = line.at("seconds").get<double>();
  r.elapsed = line.at("elapsed").get<double>();
  const auto optional = [&](const char* key, std::optional<double>& value) {
    if (line.contains(key)) value = line[key].get<double>();
  };
  optional("validation_rmse", r.validation_rmse);
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
