#include "dmf/io/part_files.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "dmf/core/error.hpp"
#include "fields.hpp"
#include "input_file.hpp"

namespace dmf::io {
namespace {

namespace fs = std::filesystem;

/// Files beside the parts that hold no data: hidden files, markers such as
/// _SUCCESS and _committed_*, Hadoop's .crc checksums.
bool is_marker(const std::string& name) {
  return name.empty() || name.front() == '.' || name.front() == '_' || name.ends_with(".crc");
}

/// A complete line of a part's head.
struct PartHeadLine {
  std::uint64_t next = 0;    // offset just after its '\n' (or the end of the file)
  std::uint64_t number = 0;  // 1-based
  std::string_view text;     // trailing '\r' and blanks trimmed
};

/// The first kFormatHeadBytes of one part, enough to find its first lines.
class PartHead {
 public:
  explicit PartHead(const PartFile& part) {
    const detail::InputFile file(part.path);
    const auto size =
        static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), kFormatHeadBytes));
    bytes_.resize(size);
    bytes_.resize(file.read_at(0, bytes_.data(), size));
    whole_ = file.size() <= kFormatHeadBytes;
    bom_ = std::string_view(bytes_).starts_with(detail::kUtf8Bom) ? detail::kUtf8Bom.size() : 0;
  }

  [[nodiscard]] std::uint64_t bom() const noexcept { return bom_; }
  [[nodiscard]] bool whole() const noexcept { return whole_; }

  /// The first non-blank line starting at or after `from` (a line start),
  /// numbered from `number`; nullopt when none, or when it is cut off by
  /// the end of the head.
  [[nodiscard]] std::optional<PartHeadLine> content_line(std::uint64_t from,
                                                         std::uint64_t number) const {
    auto begin = static_cast<std::size_t>(from);
    while (begin < bytes_.size()) {
      const std::size_t newline = bytes_.find('\n', begin);
      if (newline == std::string::npos && !whole_) return std::nullopt;
      const std::size_t end = newline == std::string::npos ? bytes_.size() : newline;
      const std::string_view text =
          detail::trim_back(std::string_view(bytes_).substr(begin, end - begin));
      const std::size_t next = newline == std::string::npos ? end : newline + 1;
      if (!detail::trim_front(text).empty()) return PartHeadLine{next, number, text};
      begin = next;
      ++number;
    }
    return std::nullopt;
  }

 private:
  std::string bytes_;
  bool whole_ = true;
  std::size_t bom_ = 0;
};

std::size_t count_fields(std::string_view line, std::string_view separator) {
  detail::FieldCursor cursor(line, separator);
  std::size_t count = 0;
  std::string_view field;
  while (cursor.next(field)) ++count;
  return count;
}

/// True if `head` is a whole file of one non-blank line or none.
bool at_most_one_line(const PartHead& head) {
  if (!head.whole()) return false;
  const auto line = head.content_line(head.bom(), 1);
  return !line || !head.content_line(line->next, line->number + 1);
}

/// The first data line of `part` (whose data_begin is set), if its head
/// holds one whole.
std::optional<PartHeadLine> first_data_line(const PartHead& head, const PartFile& part) {
  return head.content_line(part.data_begin, part.data_begin_line);
}

/// Sets part.data_begin after the part's BOM and header line. The header
/// rule applies per file: the parts of an export with a header each start
/// with it. Only a line equal to the first part's header is one (also under
/// --header yes): a part without it loses no rating, and a header that
/// differs is a bad line, named, not a rating silently dropped.
void find_data_begin(const PartHead& head, PartFile& part, const Format& format,
                     std::string_view header) {
  part.data_begin = head.bom();
  part.data_begin_line = 1;
  if (!format.has_header) return;
  const auto first = head.content_line(head.bom(), 1);
  if (!first) return;
  if (first->text == header) {
    part.data_begin = first->next;
    part.data_begin_line = first->number + 1;
  }
}

/// The part's share of the global `range`, in the part's own offsets: its
/// lines start at data_begin at the earliest. nullopt if it has none.
std::optional<ByteRange> share_of(const PartFile& part, ByteRange range) {
  const std::uint64_t end = std::min(range.end, part.offset + part.size);
  if (range.begin >= end || part.offset >= range.end) return std::nullopt;
  const std::uint64_t begin =
      std::max(range.begin > part.offset ? range.begin - part.offset : 0, part.data_begin);
  if (begin >= end - part.offset) return std::nullopt;
  return ByteRange{begin, end - part.offset};
}

}  // namespace

std::vector<std::string> list_part_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) fail("cannot read the directory {}: {}", dir, error.message());
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) break;
    const std::string name = it->path().filename().string();
    if (is_marker(name)) continue;
    std::error_code ignored;
    if (it->is_directory(ignored)) {
      fail(
          "{} holds the directory {}: dmf reads the part files directly inside a directory, not "
          "partitioned subdirectories",
          dir, name);
    }
    names.push_back(name);
  }
  if (error) fail("cannot read the directory {}: {}", dir, error.message());
  if (names.empty()) {
    fail(
        "{} is a directory without data files (nor a data set directory: no manifest.json); "
        "hidden, _SUCCESS and .crc files are not read",
        dir);
  }
  std::ranges::sort(names);
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const auto& name : names) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

PartFiles PartFiles::open(const std::string& path, const FormatOptions& options) {
  PartFiles input;
  input.path_ = path;
  std::error_code ignored;
  input.directory_ = fs::is_directory(path, ignored);
  if (!input.directory_) {
    input.format_ = detect_format(path, options);
    PartFile part{.path = path, .size = detail::InputFile(path).size()};
    part.data_begin = input.format_.data_begin;
    part.data_begin_line = input.format_.data_begin_line;
    input.parts_.push_back(std::move(part));
    return input;
  }

  std::uint64_t offset = 0;
  for (auto& file : list_part_files(path)) {
    const std::uint64_t size = detail::InputFile(file).size();
    input.parts_.push_back({.path = std::move(file), .size = size, .offset = offset});
    offset += size;
  }
  // The format comes from the first part it can be detected from. Parts
  // holding a header line alone (Spark writes them for empty partitions)
  // or nothing are passed over; any other failure is the error.
  Format& format = input.format_;
  auto first = input.parts_.end();
  std::optional<std::string> first_error;
  for (auto part = input.parts_.begin(); part != input.parts_.end(); ++part) {
    if (part->size == 0) continue;
    try {
      format = detect_format(part->path, options);
      first = part;
      break;
    } catch (const Error& e) {
      if (!first_error) first_error = e.what();
      if (!at_most_one_line(PartHead(*part))) throw;
    }
  }
  if (first == input.parts_.end()) {
    if (first_error) throw Error(*first_error);
    fail("{} contains no ratings: every file of the directory is empty", path);
  }
  if (format.kind == FormatKind::kMatrixMarket) {
    fail(
        "{}: a directory of MatrixMarket files cannot be read as one (each has its own size "
        "line); give one .mtx file",
        path);
  }
  first->data_begin = format.data_begin;
  first->data_begin_line = format.data_begin_line;
  const PartHead first_head(*first);
  const auto header = first_head.content_line(first_head.bom(), 1);
  const std::string header_text = header ? std::string(header->text) : std::string();
  const auto model_line = first_data_line(first_head, *first);
  const std::size_t fields = model_line ? count_fields(model_line->text, format.separator) : 0;

  for (auto part = input.parts_.begin(); part != input.parts_.end(); ++part) {
    if (part->size == 0 || part == first) continue;
    const PartHead head(*part);
    find_data_begin(head, *part, format, header_text);
    const auto line = first_data_line(head, *part);
    if (!line || !model_line) continue;
    const std::size_t found = count_fields(line->text, format.separator);
    if (found != fields) {
      fail(
          "{}:{}: found {} field{} separated by {} where {}:{} has {}; the part files of a "
          "directory must all have the same columns",
          part->path, line->number, found, found == 1 ? "" : "s",
          describe_separator(format.separator), first->path, model_line->number, fields);
    }
  }
  format.data_begin = first->offset + first->data_begin;
  return input;
}

std::uint64_t PartFiles::size() const noexcept {
  return parts_.empty() ? 0 : parts_.back().offset + parts_.back().size;
}

void read_line_blocks(
    const PartFiles& input, ByteRange range,
    const std::function<void(std::string_view, std::uint64_t, std::size_t)>& on_block,
    std::size_t max_line) {
  const auto& parts = input.parts();
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const PartFile& part = parts[k];
    const auto share = share_of(part, range);
    if (!share) continue;
    read_line_blocks(
        part.path, *share,
        [&](std::string_view block, std::uint64_t offset) {
          on_block(block, part.offset + offset, k);
        },
        max_line);
  }
}

std::uint64_t read_lines(const PartFiles& input, ByteRange range,
                         const std::function<void(std::string_view, std::uint64_t)>& on_line,
                         std::size_t max_line) {
  std::uint64_t count = 0;
  for (const PartFile& part : input.parts()) {
    const auto share = share_of(part, range);
    if (!share) continue;
    count += read_lines(
        part.path, *share,
        [&](std::string_view line, std::uint64_t index) { on_line(line, count + index); },
        max_line);
  }
  return count;
}

LineNames::LineNames(const PartFiles& input, const std::vector<std::uint64_t>& part_lines) {
  const auto& parts = input.parts();
  DMF_CHECK(part_lines.size() == parts.size(), "internal: {} line counts for {} parts",
            part_lines.size(), parts.size());
  if (!input.is_directory()) return;
  std::uint64_t line = input.format().data_begin_line;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    paths_.push_back(parts[k].path);
    first_.push_back(line);
    own_first_.push_back(parts[k].data_begin_line);
    line += part_lines[k];
  }
}

std::string LineNames::operator()(std::string_view path, std::uint64_t virtual_line) const {
  if (paths_.empty()) return fmt::format("{}:{}", path, virtual_line);  // a file
  // The last part starting at or before the line: parts without lines
  // start where the next one does, so they are passed over.
  const auto after = std::ranges::upper_bound(first_, virtual_line);
  const auto k = static_cast<std::size_t>(std::max<std::ptrdiff_t>(after - first_.begin(), 1)) - 1;
  return fmt::format("{}:{}", paths_[k], virtual_line - first_[k] + own_first_[k]);
}

}  // namespace dmf::io
