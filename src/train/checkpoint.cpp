#include "dmf/train/checkpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dmf/core/error.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/dist/file_checksums.hpp"
#include "dmf/dist/strings.hpp"
#include "dmf/io/npy_rows.hpp"
#include "dmf/io/sync.hpp"
#include "dmf/model/dir_writer.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::train {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "ckpt-";
/// Held by the run writing to a checkpoint directory (empty; left in place).
constexpr std::string_view kLockFile = ".dmf-checkpoints.lock";
constexpr std::string_view kLatest = "latest";

/// The sequence number of a checkpoint's name ("ckpt-000012-..."), or 0.
std::uint64_t sequence_of(std::string_view name) {
  if (!name.starts_with(kPrefix)) return 0;
  name.remove_prefix(kPrefix.size());
  std::uint64_t sequence = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), sequence);
  if (ec != std::errc() || (end != name.data() + name.size() && *end != '-')) return 0;
  return sequence;
}

/// Rank 0: the checkpoints in `dir`, newest (highest sequence) first.
std::vector<std::string> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<std::uint64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (const auto sequence = sequence_of(name); sequence > 0 && entry.is_directory(ec)) {
      found.emplace_back(sequence, name);
    }
  }
  std::ranges::sort(found, std::greater<>());
  std::vector<std::string> names;
  for (auto& [sequence, name] : found) names.push_back(std::move(name));
  return names;
}

/// Rank 0: `path`/manifest.json as JSON, or null when it is missing or not
/// a JSON object.
nlohmann::json read_manifest(const fs::path& path) {
  std::ifstream in(path / model::kManifestFile);
  if (!in) return nullptr;
  nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return manifest.is_object() ? manifest : nullptr;
}

/// Files a checkpoint holds besides those its manifest lists: the manifest
/// and the checksum of the manifest that the directory writer puts beside it.
bool is_manifest_file(const std::string& file) {
  return file == model::kManifestFile || file == model::kManifestChecksumFile;
}

/// Rank 0: why the checkpoint at `path` may hold more than a checkpoint
/// writes (a file that is neither a manifest file nor one its manifest
/// lists, as a path relative to `path`), or "" when it holds nothing else.
std::string holds_more(const fs::path& path) {
  const nlohmann::json manifest = read_manifest(path);
  const nlohmann::json files =
      manifest.is_object() ? manifest.value("files", nlohmann::json()) : nlohmann::json();
  if (!files.is_object()) return "has no readable manifest.json listing its files";
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
    const std::string file = fs::relative(it->path(), path, ec).string();
    if (!is_manifest_file(file) && !files.contains(file)) {
      return fmt::format("holds {}, which no checkpoint writes", file);
    }
  }
  // An unreadable directory may hide anything.
  return ec ? fmt::format("cannot be listed ({})", ec.message()) : std::string();
}

/// Rank 0: the checkpoint `latest` points at, or "".
std::string latest_name(const std::string& dir) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(fs::path(dir) / kLatest, ec);
  return ec ? std::string() : target.filename().string();
}

/// The test hooks of the fault-injection tests: with `variable` set to S,
/// the caller waits S seconds inside `what`, and says so.
/// DMF_TEST_CHECKPOINT_PAUSE: rank 0, with every file of a checkpoint
/// written but before it is published. DMF_TEST_ROTATION_PAUSE: inside the
/// removal of an old checkpoint (rank 0 alone rotates).
void pause_for_tests(const char* variable, const std::string& what) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return;
  const double seconds = std::strtod(value, nullptr);
  fmt::print(stderr, "dmf: test hook: pausing {} s inside {}\n", seconds, what);
  std::fflush(stderr);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace

CheckpointStore::CheckpointStore(const dist::Comm& comm, std::string dir, int keep,
                                 const data::IdDirectory& users, const data::IdDirectory& items,
                                 RunIdentity run, const Console& console)
    : comm_(comm),
      dir_(model::trim_dir(std::move(dir))),
      keep_(keep),
      users_(users),
      items_(items),
      run_(std::move(run)),
      console_(console) {
  comm_.agree([&] {
    if (comm_.is_root()) survey();
  });
  sequence_ = comm_.broadcast(sequence_, 0);
}

void CheckpointStore::survey() {
  std::error_code ec;
  fs::create_directory(dir_, ec);
  DMF_CHECK(!ec && fs::is_directory(dir_, ec), "cannot create the checkpoint directory {}: {}",
            dir_, ec ? ec.message() : "not a directory");
  // Where the file system has no such locks, nothing is kept out.
  lock_ = io::FileLock((fs::path(dir_) / kLockFile).string());
  DMF_CHECK(lock_.outcome() != io::FileLock::Outcome::kHeld,
            "another dmf run is writing checkpoints to {} (it holds {}); give this run its own "
            "--checkpoint-dir, or resume when that run has ended",
            dir_, (fs::path(dir_) / kLockFile).string());
  const auto names = list_checkpoints(dir_);
  // Numbers go on after the highest in use, whoever's it is.
  sequence_ = names.empty() ? 0 : sequence_of(names.front());
  for (const auto& name : names) {
    const fs::path path = fs::path(dir_) / name;
    const nlohmann::json manifest = read_manifest(path);
    if (!manifest.is_object() || !manifest.contains("checkpoint")) {
      console_.warn(
          "{} is not a dmf checkpoint (no readable manifest.json of one); it is left "
          "alone",
          path.string());
      continue;
    }
    // Rotating this directory would remove the other run's checkpoints,
    // and `--resume auto` would later pick up whichever is newest.
    const std::string why = run_.difference(manifest);
    DMF_CHECK(why.empty(),
              "{} holds checkpoints of another run: {} {}; give this run its own "
              "--checkpoint-dir (or resume that run with its own data and options)",
              dir_, path.string(), why);
    own_.push_back(name);
  }
  std::ranges::reverse(own_);  // oldest first
}

CheckpointStore::Written CheckpointStore::write(const std::string& label,
                                                const std::vector<SavedState>& states,
                                                nlohmann::json manifest) {
  Stopwatch clock;
  const std::string name = fmt::format("{}{:06}-{}", kPrefix, ++sequence_, label);
  const std::string path = (fs::path(dir_) / name).string();
  model::DirWriter writer(comm_, path, /*overwrite=*/false);
  nlohmann::json saved = nlohmann::json::object();
  for (const auto& state : states) {
    if (!state.subdir.empty()) writer.make_subdir(state.subdir);
    for (const auto& array : state.state->arrays()) {
      const auto rows =
          array.side == solvers::Side::kUser ? users_.total_rows() : items_.total_rows();
      const std::string file = (fs::path(state.subdir) / (array.name + ".npy")).string();
      std::visit([&](auto values) { writer.write_array(file, rows, array.width, values); },
                 array.values);
    }
    saved[state.key] = {{"dir", state.subdir}, {"counters", state.state->counters()}};
  }
  writer.write_ids("user_ids.txt", users_);
  writer.write_ids("item_ids.txt", items_);
  // What makes the checkpoint this run's (survey() and rotation read it).
  manifest["data"]["fingerprint"] = run_.fingerprint;
  manifest[run_.key] = run_.options;
  auto& checkpoint = manifest["checkpoint"];
  checkpoint["sequence"] = sequence_;
  checkpoint["users"] = users_.total_rows();
  checkpoint["items"] = items_.total_rows();
  checkpoint["states"] = saved;
  if (comm_.is_root()) pause_for_tests("DMF_TEST_CHECKPOINT_PAUSE", "the write of " + path);
  writer.publish(manifest, model::kModelFormatVersion);
  comm_.agree([&] {
    if (!comm_.is_root()) return;
    point_latest(name);
    own_.push_back(name);
    remove_old();
  });
  return {path, writer.bytes_written(), clock.seconds()};
}

void CheckpointStore::point_latest(const std::string& name) const {
  const fs::path temp = fs::path(dir_) / fmt::format(".{}.tmp-{}", kLatest, ::getpid());
  std::error_code ec;
  fs::remove(temp, ec);
  fs::create_directory_symlink(name, temp, ec);
  DMF_CHECK(!ec, "cannot create {}: {}", temp.string(), ec.message());
  // rename() replaces the old pointer in one step.
  fs::rename(temp, fs::path(dir_) / kLatest, ec);
  DMF_CHECK(!ec, "cannot point {}/{} at {}: {}", dir_, kLatest, name, ec.message());
  io::sync_path(dir_);
}

void CheckpointStore::remove_old() {
  const std::string latest = latest_name(dir_);
  std::error_code ec;
  const std::size_t keep = static_cast<std::size_t>(std::max(keep_, 0));
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < own_.size(); ++i) {
    const std::string& name = own_[i];
    if (i + keep >= own_.size() || name == latest) {
      kept.push_back(name);
      continue;
    }
    const fs::path path = fs::path(dir_) / name;
    if (const std::string why = holds_more(path); !why.empty()) {
      // Said once: the checkpoint is no longer rotation's to remove.
      console_.warn("{} {}; it is left in place (remove it yourself when done with it)",
                    path.string(), why);
      continue;
    }
    // Out of sight first, in one step, then removed: a run killed inside
    // the removal leaves no checkpoint without its files in view (one that
    // later runs would warn about and leave), only a hidden directory that
    // the sweep below removes, this time or the next.
    const fs::path hidden = fs::path(dir_) / fmt::format(".{}.dmf-tmp-removed", name);
    fs::rename(path, hidden, ec);
    if (ec) {
      fs::remove_all(path, ec);
      continue;
    }
    pause_for_tests("DMF_TEST_ROTATION_PAUSE", "the removal of " + hidden.string());
    fs::remove_all(hidden, ec);
  }
  own_ = std::move(kept);
  // Hidden directories of writes that a crash interrupted.
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with(fmt::format(".{}", kPrefix)) &&
        file.find(".dmf-tmp-") != std::string::npos) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

Checkpoint open_checkpoint(const dist::Comm& comm, const std::string& path) {
  Checkpoint checkpoint{model::trim_dir(path), nlohmann::json()};
  checkpoint.manifest = model::read_model_manifest(comm, checkpoint.path);
  comm.agree([&] {
    const auto& m = checkpoint.manifest;
    DMF_CHECK(m.contains("checkpoint") && m["checkpoint"].contains("states") &&
                  m["checkpoint"]["states"].contains("current"),
              "{} is a model directory, not a dmf checkpoint (its manifest has no \"checkpoint\")",
              checkpoint.path);
    DMF_CHECK(m.contains("files"), "{}/manifest.json lists no checksums", checkpoint.path);
    for (const auto& [key, state] : m["checkpoint"]["states"].items()) {
      DMF_CHECK(state.contains("dir") && state["dir"].is_string() &&
                    model::stays_inside(state["dir"].get<std::string>()),
                "{}/manifest.json: the directory of state \"{}\" is not inside the checkpoint",
                checkpoint.path, key);
    }
  });
  model::check_all_files_listed(comm, checkpoint.path, checkpoint.manifest);
  dist::verify_files(comm, checkpoint.path, checkpoint.manifest["files"]);
  return checkpoint;
}

std::optional<Checkpoint> find_checkpoint(const dist::Comm& comm, const std::string& requested,
                                          const Console& console) {
  const std::string dir = model::trim_dir(requested);
  // Rank 0's view of the directory: `latest`'s target first, then the rest
  // newest first.
  std::vector<std::string> names;
  if (comm.is_root()) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
      const std::string latest = latest_name(dir);
      if (!latest.empty()) names.push_back(latest);
      for (auto& name : list_checkpoints(dir)) {
        if (name != latest) names.push_back(std::move(name));
      }
    }
  }
  for (const auto& name : dist::allgather_strings(comm, names)) {
    const std::string path = (fs::path(dir) / name).string();
    try {
      return open_checkpoint(comm, path);
    } catch (const Error& e) {
      // Raised on every rank alike (open_checkpoint agrees), so every rank
      // moves on to the same next candidate.
      console.warn("checkpoint {} cannot be used ({}); trying the one before it", path, e.what());
    }
  }
  return std::nullopt;
}

CheckpointSource::CheckpointSource(const Checkpoint& checkpoint, const std::string& key)
    : users_(checkpoint.manifest["checkpoint"]["users"].get<std::uint64_t>()),
      items_(checkpoint.manifest["checkpoint"]["items"].get<std::uint64_t>()) {
  const auto& state = checkpoint.manifest["checkpoint"]["states"].at(key);
  dir_ = (fs::path(checkpoint.path) / state.at("dir").get<std::string>()).string();
  counters_ = state.at("counters");
}

std::string CheckpointSource::file(const std::string& name) const {
  return (fs::path(dir_) / (name + ".npy")).string();
}

std::uint64_t CheckpointSource::rows(solvers::Side side) const {
  return side == solvers::Side::kUser ? users_ : items_;
}

std::vector<float> CheckpointSource::floats(const std::string& name, solvers::Side side,
                                            std::uint64_t width, std::uint32_t first,
                                            std::uint32_t count) const {
  return io::read_float_rows(file(name), rows(side), width, first, count);
}

std::vector<std::uint32_t> CheckpointSource::uint32s(const std::string& name, solvers::Side side,
                                                     std::uint64_t width, std::uint32_t first,
                                                     std::uint32_t count) const {
  return io::read_uint32_rows(file(name), rows(side), width, first, count);
}

}  // namespace dmf::train
