#include "dmf/cli/params.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include <boost/program_options.hpp>

#include "dmf/cli/ini.hpp"

namespace dmf::cli {
namespace po = boost::program_options;

namespace detail {

void parse_bool(std::string_view text, bool& out) {
  static constexpr std::array<std::string_view, 4> kTrue{"true", "yes", "on", "1"};
  static constexpr std::array<std::string_view, 4> kFalse{"false", "no", "off", "0"};
  if (std::ranges::find(kTrue, text) != kTrue.end()) {
    out = true;
  } else if (std::ranges::find(kFalse, text) != kFalse.end()) {
    out = false;
  } else {
    fail("expected true or false, got '{}'", text);
  }
}

template <class T>
void parse_number(std::string_view text, T& out) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) fail("'{}' is out of range", text);
  if (ec != std::errc() || ptr != end || text.empty()) {
    fail("expected {}, got '{}'", std::is_integral_v<T> ? "an integer" : "a number", text);
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) fail("expected a finite number, got '{}'", text);
  }
  out = value;
}

template <class T>
std::string format_number(T value) {
  if constexpr (std::is_floating_point_v<T>) {
    return fmt::format("{}", value);  // shortest text that round-trips
  } else {
    return std::to_string(value);
  }
}

#define DMF_NUMBER(T)                                  \
  template void parse_number<T>(std::string_view, T&); \
  template std::string format_number<T>(T);
DMF_NUMBER(int)
DMF_NUMBER(long)
DMF_NUMBER(long long)
DMF_NUMBER(unsigned)
DMF_NUMBER(unsigned long)
DMF_NUMBER(unsigned long long)
DMF_NUMBER(float)
DMF_NUMBER(double)
#undef DMF_NUMBER

}  // namespace detail

namespace {

/// Edit distance, for "did you mean" suggestions.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view unknown, const std::vector<std::string>& names) {
  const std::string best = closest_name(unknown, names);
  return best.empty() ? std::string() : fmt::format("; did you mean --{}?", best);
}

std::string strip_dashes(std::string_view token) {
  while (token.starts_with('-')) token.remove_prefix(1);
  return std::string(token.substr(0, token.find('=')));
}

/// `value` as read_ini reads it back: in double quotes when blanks at either
/// end, or a comment sign after a blank, would otherwise be lost.
std::string ini_value(const std::string& value) {
  if (value.empty()) return value;
  const bool blank_ends = std::isspace(static_cast<unsigned char>(value.front())) != 0 ||
                          std::isspace(static_cast<unsigned char>(value.back())) != 0;
  bool comment = value.front() == '"';
  for (std::size_t k = 1; k < value.size() && !comment; ++k) {
    comment = (value[k] == '#' || value[k] == ';') && (value[k - 1] == ' ' || value[k - 1] == '\t');
  }
  return blank_ends || comment ? '"' + value + '"' : value;
}

std::vector<std::string> names_of(const ParamSpec& spec) {
  std::vector<std::string> out{spec.name};
  out.insert(out.end(), spec.aliases.begin(), spec.aliases.end());
  return out;
}

/// An option's --help text: its description, choices and other names.
std::string help_text(const ParamSpec& spec) {
  std::string text = spec.help;
  if (!spec.choices.empty() && spec.value_name != "BOOL") {
    text += fmt::format(" ({})", fmt::join(spec.choices, "|"));
  }
  if (!spec.aliases.empty()) {
    std::vector<std::string> other;
    for (const auto& alias : spec.aliases) {
      other.push_back((alias.size() == 1 ? "-" : "--") + alias);
    }
    text += fmt::format(" (also {})", fmt::join(other, ", "));
  }
  return text;
}

bool is_named(const ParamSpec& spec, std::string_view name) {
  return spec.name == name || std::ranges::find(spec.aliases, name) != spec.aliases.end();
}

/// True for the first declaration of its option (the one listed, parsed by
/// Boost and carrying the aliases); false for another solver's.
bool is_first(const std::deque<ParamSpec>& specs, const ParamSpec& spec) {
  for (const auto& one : specs) {
    if (one.name == spec.name) return &one == &spec;
  }
  return false;
}

/// An option's declarations as --help and docs/options.md show them: those
/// of equal text and default as one, with "gd, sgd: " before each text when
/// there are several.
struct Shown {
  const ParamSpec* spec;
  std::string prefix;
};
std::vector<Shown> shown(const std::vector<const ParamSpec*>& all) {
  std::vector<std::pair<const ParamSpec*, std::vector<std::string>>> groups;
  for (const ParamSpec* one : all) {
    auto same = std::ranges::find_if(groups, [&](const auto& g) {
      return g.first->help == one->help && g.first->choices == one->choices &&
             g.first->default_text == one->default_text && g.first->required == one->required;
    });
    if (same == groups.end()) same = groups.insert(groups.end(), {one, {}});
    same->second.insert(same->second.end(), one->solvers.begin(), one->solvers.end());
  }
  std::vector<Shown> out;
  for (const auto& [spec, solvers] : groups) {
    out.push_back({spec, all.size() > 1 ? fmt::format("{}: ", fmt::join(solvers, ", ")) : ""});
  }
  return out;
}

/// Options that are actions of this run, not part of its configuration.
bool is_action(const std::string& name) { return name == "config" || name == "print-config"; }

}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (const auto& name : names) {
    const std::size_t d = distance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

ParamSet::ParamSet(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {
  section(std::string(kGeneral));
  add("config", &config_path_,
      "Read options from this INI file (key = value per line); the command line overrides it")
      .value_name("FILE")
      .outcome_free();
  flag("print-config", &print_config_,
       "Print the effective configuration as an INI file for --config and exit without running");
}

ParamSpec& ParamSet::declare(std::string name, std::string help) {
  // Declared again: allowed for another solver, which .solvers() says after
  // this returns (check_declarations).
  ParamSpec& spec = specs_.emplace_back();
  spec.name = std::move(name);
  spec.section = section_;
  spec.help = std::move(help);
  return spec;
}

ParamSpec* ParamSet::find(std::string_view name) {
  for (auto& spec : specs_) {
    if (is_named(spec, name)) return &spec;
  }
  return nullptr;
}

std::vector<const ParamSpec*> ParamSet::declarations(std::string_view name) const {
  // A later declaration of a shared option is found by its name, also when
  // `name` is an alias the first one declared.
  std::vector<const ParamSpec*> out;
  for (const auto& spec : specs_) {
    if (is_named(spec, name) || (!out.empty() && spec.name == out.front()->name)) {
      out.push_back(&spec);
    }
  }
  return out;
}

std::vector<std::string> ParamSet::solvers_of(std::string_view name) const {
  std::vector<std::string> out;
  for (const ParamSpec* spec : declarations(name)) {
    if (spec->solvers.empty()) return {};
    out.insert(out.end(), spec->solvers.begin(), spec->solvers.end());
  }
  return out;
}

void ParamSet::check_declarations() const {
  std::set<std::string_view> seen;
  for (const auto& spec : specs_) {
    if (!seen.insert(spec.name).second) continue;
    const auto all = declarations(spec.name);
    if (all.size() == 1) continue;
    std::set<std::string_view> solvers;
    std::size_t count = 0;
    for (const ParamSpec* one : all) {
      DMF_CHECK(!one->solvers.empty(), "option --{} declared twice for '{}'", spec.name, command_);
      solvers.insert(one->solvers.begin(), one->solvers.end());
      count += one->solvers.size();
    }
    DMF_CHECK(solvers.size() == count, "option --{} declared twice for one solver of '{}'",
              spec.name, command_);
  }
}

std::string ParamSet::chosen_solver() const {
  for (const auto& spec : specs_) {
    if (spec.name == kSolverOption) return spec.current();
  }
  return {};
}

std::ptrdiff_t ParamSet::applying(std::string_view name) const {
  const auto all = declarations(name);
  if (all.empty()) return -1;
  const ParamSpec* chosen = all.front();
  if (all.size() > 1) {
    const std::string solver = chosen_solver();
    for (const ParamSpec* one : all) {
      if (std::ranges::find(one->solvers, solver) != one->solvers.end()) chosen = one;
    }
  }
  for (std::size_t k = 0; k < specs_.size(); ++k) {
    if (&specs_[k] == chosen) return static_cast<std::ptrdiff_t>(k);
  }
  return -1;
}

const ParamSpec& ParamSet::spec(std::string_view name) const {
  const std::ptrdiff_t k = applying(name);
  if (k < 0) fail("no option --{} is declared for 'dmf {}'", name, command_);
  return specs_[static_cast<std::size_t>(k)];
}

bool ParamSet::given(std::string_view name) const {
  const auto it = origins_.find(name);
  return it != origins_.end() && it->second.kind != Origin::Kind::kDefault;
}

bool ParamSet::on_command_line(std::string_view name) const {
  const auto it = origins_.find(name);
  return it != origins_.end() && it->second.kind == Origin::Kind::kCommandLine;
}

std::vector<std::string> ParamSet::names() const {
  std::vector<std::string> out;
  for (const auto& spec : specs_) {
    if (is_first(specs_, spec)) out.push_back(spec.name);
  }
  return out;
}

std::vector<std::string> ParamSet::names_and_aliases() const {
  std::vector<std::string> out;
  for (const auto& spec : specs_) {
    if (!is_first(specs_, spec)) continue;
    out.push_back(spec.name);
    out.insert(out.end(), spec.aliases.begin(), spec.aliases.end());
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<const ParamSpec*>>> ParamSet::by_section() const {
  std::vector<std::pair<std::string, std::vector<const ParamSpec*>>> out;
  for (const auto& spec : specs_) {
    if (!is_first(specs_, spec)) continue;
    auto it = std::ranges::find(out, spec.section, [](const auto& s) { return s.first; });
    if (it == out.end()) it = out.insert(out.end(), {spec.section, {}});
    it->second.push_back(&spec);
  }
  // The options every command has come after the command's own.
  std::ranges::stable_partition(out, [](const auto& s) { return s.first != kGeneral; });
  return out;
}

std::string ParamSet::describe(const Origin& origin, const std::string& name) const {
  if (origin.kind == Origin::Kind::kConfigFile) return fmt::format("{}: {}", origin.where, name);
  return "--" + name;
}

void ParamSet::apply(ParamSpec& spec, std::string_view value, Origin origin) {
  try {
    spec.assign(value);
  } catch (const Error& e) {
    std::string hint;
    // A value of another solver's declaration of the option.
    const ParamSpec* other = nullptr;
    for (const ParamSpec* one : declarations(spec.name)) {
      if (one != &spec && std::ranges::find(one->choices, value) != one->choices.end()) {
        other = one;
      }
    }
    if (const auto it = spec.value_hints.find(value); it != spec.value_hints.end()) {
      hint = "; " + it->second;
    } else if (other != nullptr) {
      hint = fmt::format("; --{} {} applies to --solver {}, not {}", spec.name, value,
                         fmt::join(other->solvers, " or --solver "), chosen_solver());
    } else if (const std::string near = closest_name(value, spec.choices); !near.empty()) {
      hint = fmt::format("; did you mean {}?", near);
    }
    fail("{}: {}{}", describe(origin, spec.name), e.what(), hint);
  }
  origins_[spec.name] = std::move(origin);
}

void ParamSet::apply_from_file(ParamSpec& spec, std::string_view value, Origin origin) {
  apply(spec, value, std::move(origin));
  if (spec.current() == spec.default_text) origins_.erase(spec.name);
}

void ParamSet::parse(std::span<const std::string> args, const std::set<std::string>& other_keys) {
  check_declarations();
  po::options_description description;
  description.add_options()("help,h", "");
  for (const auto& spec : specs_) {
    if (!is_first(specs_, spec)) continue;
    for (const auto& name : names_of(spec)) {
      auto* semantic = po::value<std::vector<std::string>>();
      if (spec.implicit_value) {
        semantic->implicit_value({*spec.implicit_value}, *spec.implicit_value);
      }
      // A one-letter name is also its short form: LIBMF's users write -k 64.
      const std::string names = name.size() == 1 ? name + "," + name : name;
      description.add_options()(names.c_str(), semantic, "");
    }
  }

  po::parsed_options parsed(&description);
  const std::vector<std::string> tokens(args.begin(), args.end());
  try {
    parsed = po::command_line_parser(tokens)
                 .options(description)
                 .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
                 .run();
  } catch (const po::unknown_option& e) {
    // As written: "-x" stays "-x", so that the hint "--x" does not read as
    // the very option refused.
    const std::string& written = e.get_option_name();
    const std::string name = strip_dashes(written);
    fail("unknown option {}{} for 'dmf {}'{} (see dmf {} --help)",
         written.starts_with("--") ? "--" : "-", name, command_,
         suggestion(name, names_and_aliases()), command_);
  } catch (const po::too_many_positional_options_error&) {
    std::string positional;
    for (const auto& token : tokens) {
      if (!token.starts_with('-')) {
        positional = token;
        break;
      }
    }
    fail("unexpected argument '{}' for 'dmf {}': options are written --name value", positional,
         command_);
  } catch (po::error_with_option_name& e) {
    // A one-letter option as written (the last time it was): Boost names
    // "-k" "--k".
    const std::string name = strip_dashes(e.get_option_name());
    const auto written = std::ranges::find_if(tokens.rbegin(), tokens.rend(), [&](const auto& t) {
      return t == "-" + name || t == "--" + name;
    });
    if (name.size() == 1 && written != tokens.rend() && *written == "-" + name) {
      e.set_original_token("-" + name);
      e.set_prefix(po::command_line_style::allow_dash_for_short);
    }
    fail("dmf {}: {}", command_, e.what());
  } catch (const po::error& e) {
    fail("dmf {}: {}", command_, e.what());
  }

  for (const auto& option : parsed.options) {
    if (option.string_key == "help") {
      help_requested_ = true;
      return;
    }
  }
  // Values of options declared by several solvers wait until --solver has
  // its value, which says whose declaration takes them.
  struct Waiting {
    std::string name;
    std::string value;
    Origin origin;
  };
  std::vector<Waiting> waiting;
  const auto shared = [this](const ParamSpec& spec) { return declarations(spec.name).size() > 1; };
  for (const auto& option : parsed.options) {
    ParamSpec* spec = find(option.string_key);
    if (spec == nullptr) {  // a positional token: there are no positional arguments
      fail("unexpected argument '{}' for 'dmf {}': options are written --name value",
           option.original_tokens.empty() ? std::string() : option.original_tokens.front(),
           command_);
    }
    if (given(spec->name)) fail("--{} is given more than once", spec->name);
    // An option given without its (implicit) value arrives with none.
    const std::string value =
        option.value.empty() ? spec->implicit_value.value_or("") : option.value.front();
    if (shared(*spec)) {
      origins_[spec->name] = {Origin::Kind::kCommandLine, ""};
      waiting.push_back({spec->name, value, {Origin::Kind::kCommandLine, ""}});
      continue;
    }
    apply(*spec, value, {Origin::Kind::kCommandLine, ""});
  }

  if (!config_path_.empty()) {
    std::map<std::string, std::string, std::less<>> in_file;  // option -> where, for aliases
    for (const auto& entry : read_ini(config_path_)) {
      const std::string where = fmt::format("{}:{}", config_path_, entry.line);
      if (entry.key == "config") fail("{}: a config file cannot name another (config)", where);
      if (entry.key == "print-config") {
        fail("{}: print-config belongs on the command line, not in a config file", where);
      }
      ParamSpec* spec = find(entry.key);
      if (spec == nullptr) {
        if (other_keys.contains(entry.key)) continue;  // another command's option
        fail("{}: unknown option '{}'{}", where, entry.key,
             suggestion(entry.key, names_and_aliases()));
      }
      if (const auto it = in_file.find(spec->name); it != in_file.end()) {
        fail("{}: '{}' is already set at {} (as another name of --{})", where, entry.key,
             it->second, spec->name);
      }
      in_file.emplace(spec->name, where);
      if (given(spec->name)) continue;  // the command line wins
      if (shared(*spec)) {
        origins_[spec->name] = {Origin::Kind::kConfigFile, where};
        waiting.push_back({spec->name, entry.value, {Origin::Kind::kConfigFile, where}});
        continue;
      }
      // A default spelled out in a file is no request (see given()).
      apply_from_file(*spec, entry.value, {Origin::Kind::kConfigFile, where});
    }
  }
  const std::string solver = chosen_solver();
  for (auto& [name, value, origin] : waiting) {
    ParamSpec& spec = specs_[static_cast<std::size_t>(applying(name))];
    if (std::ranges::find(spec.solvers, solver) == spec.solvers.end()) {
      // No declaration for this solver: given, the option is refused for
      // it (not its value for another); a default of one spelled out in a
      // file is no request.
      const auto all = declarations(name);
      if (origin.kind == Origin::Kind::kConfigFile &&
          std::ranges::any_of(all,
                              [&](const ParamSpec* one) { return one->default_text == value; })) {
        origins_.erase(name);
      }
      continue;
    }
    if (origin.kind == Origin::Kind::kConfigFile) {
      apply_from_file(spec, value, std::move(origin));
    } else {
      apply(spec, value, std::move(origin));
    }
  }

  for (auto& spec : specs_) {
    if (&spec != &this->spec(spec.name)) continue;  // another solver's declaration
    const auto it = origins_.find(spec.name);
    const Origin origin = it == origins_.end() ? Origin{} : it->second;
    if (spec.required && origin.kind == Origin::Kind::kDefault && !print_config_) {
      fail("dmf {} needs --{}", command_, spec.name);
    }
    for (const auto& check : spec.checks) {
      try {
        check();
      } catch (const Error& e) {
        fail("{}: {}", describe(origin, spec.name), e.what());
      }
    }
  }
}

std::string ParamSet::help() const {
  check_declarations();
  constexpr std::size_t kColumn = 30;
  constexpr std::size_t kWidth = 100;
  std::ostringstream out;
  // Writes `text` from column kColumn on, wrapped at kWidth.
  const auto wrapped = [&out](const std::string& text) {
    std::istringstream words(text);
    std::string word;
    std::size_t column = kColumn;
    bool first = true;
    while (words >> word) {
      if (!first && column + 1 + word.size() > kWidth) {
        out << "\n" << std::string(kColumn, ' ');
        column = kColumn;
        first = true;
      }
      if (!first) {
        out << ' ';
        ++column;
      }
      out << word;
      column += word.size();
      first = false;
    }
    out << "\n";
  };
  out << "Usage: dmf " << command_ << " [options]\n\n" << summary_ << "\n";
  for (const auto& [title, specs] : by_section()) {
    out << "\n" << title << ":\n";
    for (const ParamSpec* spec : specs) {
      std::string head = "  --" + spec->name;
      head += spec->implicit_value ? " [" + spec->value_name + "]" : " " + spec->value_name;
      if (head.size() + 2 > kColumn) {
        out << head << "\n" << std::string(kColumn, ' ');
      } else {
        out << head << std::string(kColumn - head.size(), ' ');
      }
      // An option of several solvers: each one's text on lines of its own.
      const auto all = shown(declarations(spec->name));
      for (std::size_t d = 0; d < all.size(); ++d) {
        const ParamSpec& one = *all[d].spec;
        std::string text = all[d].prefix + help_text(one);
        if (one.required) {
          text += " [required]";
        } else if (!one.default_text.empty()) {
          text += " [default: " + one.default_text + "]";
        }
        if (d > 0) out << std::string(kColumn, ' ');
        wrapped(text);
      }
    }
    if (title == kGeneral)
      out << "  --help" << std::string(kColumn - 8, ' ') << "Show this help and exit\n";
  }
  if (!examples_.empty()) {
    out << "\nExamples:\n";
    for (const auto& example : examples_) {
      out << "  " << example.command_line << "\n" << std::string(6, ' ') << example.what << "\n";
    }
  }
  return out.str();
}

std::vector<std::pair<std::string, std::string>> ParamSet::effective_values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : names()) {
    if (name != "print-config") out.emplace_back(name, spec(name).current());
  }
  return out;
}

std::string ParamSet::effective_config(bool origins) const {
  std::ostringstream out;
  out << "# dmf " << command_ << ": effective configuration (dmf " << command_
      << " --config FILE reads it back)\n";
  for (const auto& [title, specs] : by_section()) {
    std::ostringstream lines;
    for (const ParamSpec* spec : specs) {
      if (is_action(spec->name)) continue;
      lines << spec->name << " = " << ini_value(this->spec(spec->name).current());
      const auto it = origins_.find(spec->name);
      if (origins && it != origins_.end()) {
        switch (it->second.kind) {
          case Origin::Kind::kDefault:
            break;
          case Origin::Kind::kCommandLine:
            lines << "  # command line";
            break;
          case Origin::Kind::kConfigFile:
            lines << "  # " << it->second.where;
            break;
        }
      }
      lines << "\n";
    }
    if (!lines.str().empty()) out << "\n[" << title << "]\n" << lines.str();
  }
  return out.str();
}

std::string ParamSet::markdown() const {
  check_declarations();
  std::ostringstream out;
  for (const auto& [title, specs] : by_section()) {
    out << "### " << title << "\n\n| option | default | description |\n|---|---|---|\n";
    for (const ParamSpec* spec : specs) {
      // An option of several solvers: each one's text and default, one line
      // of the cell each.
      std::vector<std::string> defaults;
      std::vector<std::string> texts;
      for (const auto& [one, prefix] : shown(declarations(spec->name))) {
        std::string text = prefix;
        for (const char c : one->help) {
          if (c == '|') text += '\\';  // a bare '|' would end the table cell
          text += c;
        }
        if (!one->choices.empty() && one->value_name != "BOOL") {
          if (!text.ends_with('.')) text += '.';
          text += fmt::format(" One of `{}`.", fmt::join(one->choices, "`, `"));
        }
        if (!one->aliases.empty()) {
          if (!text.ends_with('.')) text += '.';
          text += fmt::format(" Also `--{}`.", fmt::join(one->aliases, "`, `--"));
        }
        texts.push_back(std::move(text));
        if (one->required) {
          defaults.push_back(prefix + "required");
        } else if (!one->default_text.empty()) {
          defaults.push_back(prefix + "`" + one->default_text + "`");
        }
      }
      out << "| `--" << spec->name << "` | " << fmt::format("{}", fmt::join(defaults, "<br>"))
          << " | " << fmt::format("{}", fmt::join(texts, "<br>")) << " |\n";
    }
    out << "\n";
  }
  if (!examples_.empty()) {
    out << "### Examples\n\n```sh\n";
    for (const auto& example : examples_) {
      out << "# " << example.what << "\n" << example.command_line << "\n";
    }
    out << "```\n\n";
  }
  return out.str();
}

}  // namespace dmf::cli
