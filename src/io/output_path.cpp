#include "dmf/io/output_path.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace dmf::io {
namespace {

namespace fs = std::filesystem;

/// `path` made absolute, with symbolic links of its existing part resolved
/// and "." and ".." removed, for comparing paths.
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path, ec).lexically_normal();
  return p;
}

/// Is `inner` the same path as `outer` or inside it (both resolved)?
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

bool same(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec)) return true;
  return resolved(a) == resolved(b);
}

}  // namespace

std::string special_file_kind(const std::string& path) {
  std::error_code ec;
  switch (fs::symlink_status(path, ec).type()) {
    case fs::file_type::symlink:
      return "a symbolic link";
    case fs::file_type::directory:
      return "a directory";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::socket:
      return "a socket";
    case fs::file_type::regular:
    case fs::file_type::not_found:
    case fs::file_type::none:
      return "";
    default:
      return "not a regular file";
  }
}

std::string path_in(const std::string& dir, std::string_view file) {
  return (std::filesystem::path(dir) / file).string();
}

std::string parent_directory(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() && p.parent_path() != p ? p.parent_path().string() : ".";
}

std::optional<std::string> file_output_refusal(const std::string& path, bool overwrite) {
  if (path == "-") return std::nullopt;
  if (path.empty()) return "the output path is empty";
  if (const std::string kind = special_file_kind(path); !kind.empty()) {
    return fmt::format(
        "{} is {}; dmf replaces only regular files, even with --overwrite (for standard output "
        "give -)",
        path, kind);
  }
  std::error_code ec;
  const std::string parent = parent_directory(path);
  if (!fs::is_directory(parent, ec)) {
    return fmt::format("{} cannot be written: directory {} does not exist", path, parent);
  }
  if (!overwrite && fs::exists(fs::symlink_status(path, ec))) {
    return fmt::format("{} already exists; pass --overwrite to replace it", path);
  }
  return std::nullopt;
}

std::optional<std::string> directory_refusal(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fs::exists(dir, ec) ? fmt::format("{} is not a directory", dir)
                               : fmt::format("directory {} does not exist", dir);
  }
  const std::string probe =
      (fs::path(dir) / fmt::format(".dmf-probe-{}-{}", static_cast<long>(::getpid()),
                                   std::chrono::steady_clock::now().time_since_epoch().count()))
          .string();
  const int fd = ::open(probe.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fmt::format("cannot create files in directory {}: {}", dir, std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return std::nullopt;
}

std::optional<std::string> path_clash(const std::vector<NamedPath>& outputs,
                                      const std::vector<NamedPath>& inputs) {
  using Kind = NamedPath::Kind;
  const auto clash = [](const NamedPath& out, const NamedPath& other,
                        bool other_is_input) -> std::optional<std::string> {
    if (out.path.empty() || other.path.empty() || out.path == "-" || other.path == "-") {
      return std::nullopt;
    }
    // A directory written into may be the one read from: checkpoints go on
    // into the directory a run resumes from.
    if (out.kind == Kind::kDirectory && other_is_input && other.kind == Kind::kDirectory) {
      return std::nullopt;
    }
    const char* role = other_is_input ? "the input" : "the output";
    if (same(out.path, other.path)) {
      return fmt::format("{} {} is also {} {}; give another path", out.option, out.path, role,
                         other.option);
    }
    const fs::path o = resolved(out.path);
    const fs::path x = resolved(other.path);
    if (out.kind == Kind::kReplacedDir && within(x, o)) {
      return fmt::format("{} {} is inside {} {}, which is replaced as a whole; give another path",
                         other.option, other.path, out.option, out.path);
    }
    if ((other_is_input ? other.kind != Kind::kFile : other.kind == Kind::kReplacedDir) &&
        within(o, x)) {
      return fmt::format("{} {} is inside {} {} {}; give another path", out.option, out.path, role,
                         other.option, other.path);
    }
    return std::nullopt;
  };
  for (std::size_t a = 0; a < outputs.size(); ++a) {
    for (std::size_t b = a + 1; b < outputs.size(); ++b) {
      if (auto why = clash(outputs[a], outputs[b], false)) return why;
      if (auto why = clash(outputs[b], outputs[a], false)) return why;
    }
    for (const auto& input : inputs) {
      if (auto why = clash(outputs[a], input, true)) return why;
    }
  }
  return std::nullopt;
}

}  // namespace dmf::io
