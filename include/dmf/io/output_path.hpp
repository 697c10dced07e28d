// Checks of the paths a command writes, made before any long work and again
// where each file is created: what may be replaced (only regular files;
// model directories are model/dir_writer's), that the directory takes new
// files, and that no output is another output or an input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmf::io {

/// What is at `path` when it is not a regular file ("a symbolic link", "a
/// directory", "a FIFO", "a character device", ...); empty for a regular
/// file or nothing. Symbolic links are not followed.
[[nodiscard]] std::string special_file_kind(const std::string& path);

/// Why a file cannot be created at `path` (nullopt when it can): an empty
/// path, a missing directory, something there that is not a regular file
/// (never replaced, even with `overwrite`), or a regular file without
/// `overwrite`. "-" (standard output) is always fine.
[[nodiscard]] std::optional<std::string> file_output_refusal(const std::string& path,
                                                             bool overwrite);

/// Why no file can be created in the directory `dir` (nullopt when one
/// can): tried by creating and removing an empty file, which is the only
/// sure test (permissions, read-only mounts, /proc, quotas of root).
[[nodiscard]] std::optional<std::string> directory_refusal(const std::string& dir);

/// The directory a new file or directory at `path` is created in.
[[nodiscard]] std::string parent_directory(const std::string& path);

/// The path of `file` inside the directory `dir`.
[[nodiscard]] std::string path_in(const std::string& dir, std::string_view file);

/// A path a command reads or writes, named by its option.
struct NamedPath {
  enum class Kind {
    kFile,         // a file
    kDirectory,    // a directory read, or written into (checkpoints)
    kReplacedDir,  // a directory replaced as a whole (a model directory)
  };
  std::string option;  // "--out"
  std::string path;
  Kind kind = Kind::kFile;
  bool overwrite = false;  // an output file: may a regular file there be replaced
};

/// The first clash between `outputs` and each other or `inputs`, as a
/// sentence, or nullopt: the same path (after symbolic links and ".."), or
/// a path inside a directory that is replaced as a whole, or an output
/// inside an input directory. "-" never clashes, and a directory written
/// into may be an input directory (checkpoints resumed from).
[[nodiscard]] std::optional<std::string> path_clash(const std::vector<NamedPath>& outputs,
                                                    const std::vector<NamedPath>& inputs);

}  // namespace dmf::io
