// Parameters declared once. A command declares each of its options here,
// bound to a field of its options struct whose initialiser is the default.
// From that one declaration come: the Boost.Program_options command-line
// parser, --help, the config-file keys, validation with errors that name the
// option (and the config file's line), the effective configuration
// (--print-config, --verbose, the manifest), and docs/options.md.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/core/error.hpp"

#include <fmt/ranges.h>

namespace dmf::cli {

/// Types with their own text form: `parse_value(text, T&)` throws dmf::Error
/// with the reason, `format_value(const T&)` returns the text.
template <class T>
concept TextValue = requires(std::string_view text, T& out, const T& in) {
  parse_value(text, out);
  { format_value(in) } -> std::convertible_to<std::string>;
};

namespace detail {
void parse_bool(std::string_view text, bool& out);
template <class T>
void parse_number(std::string_view text, T& out);
template <class T>
std::string format_number(T value);
}  // namespace detail

/// One declared option.
struct ParamSpec {
  std::string name;
  /// Other names accepted on the command line and in config files (--k for
  /// --rank); the effective configuration always uses `name`.
  std::vector<std::string> aliases;
  std::string section;
  std::string help;
  std::string value_name;
  std::string default_text;
  std::vector<std::string> choices;
  std::optional<std::string> implicit_value;  // given without a value, e.g. --json
  /// Values that are refused with a pointer to what was meant, e.g. for
  /// --solver: sgd -> "use --solver gd --optimizer sgd".
  std::map<std::string, std::string, std::less<>> value_hints;
  bool required = false;
  /// The solvers (--solver values) the option applies to; empty: all. Given
  /// under another solver, the option is refused. Several solvers may each
  /// declare the same option (--optimizer of gd and of sgd), each bound to
  /// its own field with its own default, values, checks and help, as long as
  /// every declaration names its solvers and no solver has two: the option
  /// is parsed, checked and shown by the declaration of the --solver given
  /// (docs/design.md §4), and --help lists it once with each one's values.
  std::vector<std::string> solvers;
  /// Applies only when option `first` has the value `second` (--cg-steps
  /// with --als-solve cg); empty: always. Given otherwise, it is refused.
  std::pair<std::string, std::string> only_with;
  /// May differ when a run is resumed from a checkpoint: it decides how long
  /// the run goes on, where its outputs go, how files are read or how the run
  /// is parallelised, not the path of the model.
  bool free_on_resume = false;
  /// Changes neither the trained model nor its metrics (implies
  /// free_on_resume).
  bool outcome_free = false;
  /// Parses, checks and stores a value; throws dmf::Error with the reason.
  std::function<void(std::string_view)> assign;
  /// The current value as text.
  std::function<std::string()> current;
  /// Checks run on the final value after all sources are applied.
  std::vector<std::function<void()>> checks;
};

/// Where a value came from.
struct Origin {
  enum class Kind { kDefault, kCommandLine, kConfigFile } kind = Kind::kDefault;
  std::string where;  // "file:line" for config files
};

/// Typed handle returned by ParamSet::add to refine a declaration.
template <class T>
class Param {
 public:
  Param(ParamSpec& spec, T* target) : spec_(&spec), target_(target) {}

  Param& value_name(std::string name) {
    spec_->value_name = std::move(name);
    return *this;
  }
  /// Another name for the option (`--k` for `--rank`).
  Param& alias(std::string name) {
    spec_->aliases.push_back(std::move(name));
    return *this;
  }
  /// When `value` is refused, the error goes on with `hint`.
  Param& hint(std::string value, std::string hint) {
    spec_->value_hints.emplace(std::move(value), std::move(hint));
    return *this;
  }
  /// Must be given (no default).
  Param& required() {
    spec_->required = true;
    return *this;
  }
  /// The value used when the option is given without one (`--header`).
  Param& implicit(std::string value) {
    spec_->implicit_value = std::move(value);
    return *this;
  }
  /// Applies only under these --solver values (see ParamSpec::solvers: with
  /// it, another solver may declare the same option for itself).
  Param& solvers(std::vector<std::string> names) {
    spec_->solvers = std::move(names);
    return *this;
  }
  /// Applies only when --`option` is `value` (see ParamSpec::only_with).
  Param& only_with(std::string option, std::string value) {
    spec_->only_with = {std::move(option), std::move(value)};
    return *this;
  }
  /// May differ on resume (see ParamSpec::free_on_resume).
  Param& free_on_resume() {
    spec_->free_on_resume = true;
    return *this;
  }
  /// Changes neither the model nor its metrics (see ParamSpec::outcome_free).
  Param& outcome_free() {
    spec_->free_on_resume = true;
    spec_->outcome_free = true;
    return *this;
  }
  /// The value must be one of `names` (a string naming something from a
  /// table, such as a registered solver): listed in --help like an enum's
  /// names, and refused like them.
  Param& one_of(std::vector<std::string> names) requires std::same_as<T, std::string> {
    spec_->choices = names;
    spec_->value_name = "NAME";
    spec_->assign = [target = target_, names = std::move(names)](std::string_view text) {
      if (std::ranges::find(names, text) == names.end()) {
        fail("'{}' is not one of {}", text, fmt::join(names, "|"));
      }
      *target = std::string(text);
    };
    return *this;
  }
  Param& at_least(T bound) requires std::is_arithmetic_v<T> {
    return check([bound](const T& v) { return v >= bound; },
                 fmt::format("must be at least {}", detail::format_number(bound)));
  }
  Param& at_most(T bound) requires std::is_arithmetic_v<T> {
    return check([bound](const T& v) { return v <= bound; },
                 fmt::format("must be at most {}", detail::format_number(bound)));
  }
  Param& below(T bound) requires std::is_arithmetic_v<T> {
    return check([bound](const T& v) { return v < bound; },
                 fmt::format("must be below {}", detail::format_number(bound)));
  }
  Param& positive() requires std::is_arithmetic_v<T> {
    return check([](const T& v) { return v > T{0}; }, "must be positive");
  }
  /// A custom check; `requirement` completes "--name ..." when it fails.
  template <class Predicate>
  Param& check(Predicate predicate, std::string requirement) {
    T* target = target_;
    ParamSpec* spec = spec_;
    spec_->checks.push_back([target, spec, predicate, requirement] {
      if (!predicate(*target)) {
        fail("{} (got {})", requirement, spec->current());
      }
    });
    return *this;
  }

 private:
  ParamSpec* spec_;
  T* target_;
};

/// The name among `names` closest to `word` by edit distance, if it is a
/// near miss (at most 2 edits); "" otherwise. For "did you mean" hints.
[[nodiscard]] std::string closest_name(std::string_view word,
                                       const std::vector<std::string>& names);

/// A command line shown at the end of --help, with what it does.
struct Example {
  std::string command_line;
  std::string what;
};

/// The declared options of one command, and their parsing.
class ParamSet {
 public:
  /// The section of the options every command has (--config, --print-config,
  /// --verbose, --quiet); --help lists it last.
  static constexpr std::string_view kGeneral = "General";
  /// The option whose value picks which declaration of an option declared by
  /// several solvers applies (ParamSpec::solvers).
  static constexpr std::string_view kSolverOption = "solver";

  ParamSet(std::string command, std::string summary);

  /// Options declared after this call are listed under `title`. Sections are
  /// listed in the order they are first named; naming one again adds to it.
  void section(std::string title) { section_ = std::move(title); }

  /// Adds an example to the end of --help.
  void example(std::string command_line, std::string what) {
    examples_.push_back({std::move(command_line), std::move(what)});
  }

  /// Declares --name bound to *target; *target's current value is the default.
  template <class T>
  Param<T> add(std::string name, T* target, std::string help) {
    ParamSpec& spec = declare(std::move(name), std::move(help));
    bind(spec, target);
    spec.default_text = spec.current();
    return Param<T>(spec, target);
  }

  /// Declares a switch: --name alone means true; a config file says
  /// `name = true|false`.
  Param<bool> flag(std::string name, bool* target, std::string help) {
    auto param = add(std::move(name), target, std::move(help));
    param.implicit("true");
    return param;
  }

  /// Parses the command line `args` (after the command name) and the config
  /// file named by --config, if any; the command line wins. Keys in the
  /// config file that belong to other dmf commands (`other_keys`) are
  /// ignored, so one file can serve train, eval and recommend. Throws
  /// dmf::Error naming the option (and file:line) on any problem.
  void parse(std::span<const std::string> args, const std::set<std::string>& other_keys = {});

  /// True when --help was given (nothing else is parsed then).
  [[nodiscard]] bool help_requested() const noexcept { return help_requested_; }
  /// True when --print-config was given: the command prints
  /// effective_config(false) and exits without running. Required options
  /// may then be missing (the printed file is a template to fill in).
  [[nodiscard]] bool print_config_requested() const noexcept { return print_config_; }
  /// True when the option was given on the command line, or in the config
  /// file with a value other than its default. A config file that spells out
  /// defaults (such as one written by --print-config) thereby does not
  /// count as asking for options the run does not use.
  [[nodiscard]] bool given(std::string_view name) const;
  /// True when the option was given on the command line.
  [[nodiscard]] bool on_command_line(std::string_view name) const;

  [[nodiscard]] const std::string& command() const noexcept { return command_; }
  /// Every declaration, in order: an option declared by several solvers
  /// comes once per declaration.
  [[nodiscard]] const std::deque<ParamSpec>& specs() const noexcept { return specs_; }
  /// The declaration of --name (or of an alias) that applies: of an option
  /// declared by several solvers, the one for the --solver given (the first
  /// when none is for it). Throws dmf::Error when there is none.
  [[nodiscard]] const ParamSpec& spec(std::string_view name) const;
  /// Every declaration of --name (or of an alias), in order; empty when
  /// there is none.
  [[nodiscard]] std::vector<const ParamSpec*> declarations(std::string_view name) const;
  /// The solvers --name applies to, over all its declarations; empty: all.
  [[nodiscard]] std::vector<std::string> solvers_of(std::string_view name) const;
  /// The canonical names of the options, in declaration order, once each.
  [[nodiscard]] std::vector<std::string> names() const;
  /// The canonical names and the aliases.
  [[nodiscard]] std::vector<std::string> names_and_aliases() const;

  /// --help text: the options by section (General last), then the examples.
  [[nodiscard]] std::string help() const;
  /// The effective configuration as an INI file that --config accepts, one
  /// `[section]` per help section. With `origins`, each value given on the
  /// command line or in a config file is commented with where it came from
  /// (the --verbose echo and the manifest); without, reading the file back
  /// and printing again gives the same bytes (--print-config).
  [[nodiscard]] std::string effective_config(bool origins = true) const;
  /// The effective configuration as (name, value) pairs, in declaration order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> effective_values() const;
  /// Markdown tables of the options, one per section, then the examples
  /// (for docs/options.md).
  [[nodiscard]] std::string markdown() const;

 private:
  ParamSpec& declare(std::string name, std::string help);
  /// Throws unless every option declared more than once is declared by
  /// solvers, no solver twice (ParamSpec::solvers).
  void check_declarations() const;
  /// The value of --solver, or "" when the command has none.
  [[nodiscard]] std::string chosen_solver() const;
  /// Index in specs_ of the declaration of `name` that applies (see spec()),
  /// or -1.
  [[nodiscard]] std::ptrdiff_t applying(std::string_view name) const;
  /// The first declaration of each option grouped by section, in listing
  /// order (an option declared by several solvers is listed where it was
  /// first declared).
  [[nodiscard]] std::vector<std::pair<std::string, std::vector<const ParamSpec*>>> by_section()
      const;
  void apply(ParamSpec& spec, std::string_view value, Origin origin);
  /// Applies a config file's value; a default spelled out is no request.
  void apply_from_file(ParamSpec& spec, std::string_view value, Origin origin);
  [[nodiscard]] std::string describe(const Origin& origin, const std::string& name) const;
  [[nodiscard]] ParamSpec* find(std::string_view name);

  template <class T>
  void bind(ParamSpec& spec, T* target);

  std::string command_;
  std::string summary_;
  std::string section_ = "Options";
  std::deque<ParamSpec> specs_;  // a deque: Param handles and checks point into it
  std::map<std::string, Origin, std::less<>> origins_;
  std::vector<Example> examples_;
  bool help_requested_ = false;
  bool print_config_ = false;
  std::string config_path_;
};

// --- value binding ----------------------------------------------------------

namespace detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

/// How values of type T are read from text, written back, and described.
template <class T>
struct ValueTraits {
  static void parse(std::string_view text, T& out) {
    if constexpr (std::same_as<T, bool>) {
      parse_bool(text, out);
    } else if constexpr (std::is_arithmetic_v<T>) {
      parse_number(text, out);
    } else if constexpr (std::same_as<T, std::string>) {
      out = std::string(text);
    } else if constexpr (NamedEnum<T>) {
      for (const auto& entry : enum_names(T{})) {
        if (entry.name == text) {
          out = entry.value;
          return;
        }
      }
      std::vector<std::string_view> names;
      for (const auto& entry : enum_names(T{})) names.push_back(entry.name);
      fail("'{}' is not one of {}", text, fmt::join(names, "|"));
    } else {
      static_assert(TextValue<T>, "declare parse_value/format_value for this option type");
      parse_value(text, out);
    }
  }
  static std::string format(const T& value) {
    if constexpr (std::same_as<T, bool>) {
      return value ? "true" : "false";
    } else if constexpr (std::is_arithmetic_v<T>) {
      return format_number(value);
    } else if constexpr (std::same_as<T, std::string>) {
      return value;
    } else if constexpr (NamedEnum<T>) {
      return std::string(to_string(value));
    } else {
      return std::string(format_value(value));
    }
  }
  static std::string value_name() {
    if constexpr (std::same_as<T, bool>) return "BOOL";
    if constexpr (std::is_integral_v<T>) return "INT";
    if constexpr (std::is_floating_point_v<T>) return "NUM";
    if constexpr (std::same_as<T, std::string>) return "TEXT";
    if constexpr (NamedEnum<T>) return "NAME";
    return "VALUE";
  }
  static std::vector<std::string> choices() {
    std::vector<std::string> out;
    if constexpr (std::same_as<T, bool>) {
      out = {"true", "false"};
    } else if constexpr (NamedEnum<T>) {
      for (const auto& entry : enum_names(T{})) out.emplace_back(entry.name);
    }
    return out;
  }
};

/// An optional value: empty text means "not set".
template <class T>
struct ValueTraits<std::optional<T>> {
  static void parse(std::string_view text, std::optional<T>& out) {
    if (text.empty()) {
      out.reset();
      return;
    }
    T value{};
    ValueTraits<T>::parse(text, value);
    out = std::move(value);
  }
  static std::string format(const std::optional<T>& value) {
    return value ? ValueTraits<T>::format(*value) : std::string();
  }
  static std::string value_name() { return ValueTraits<T>::value_name(); }
  static std::vector<std::string> choices() { return ValueTraits<T>::choices(); }
};

}  // namespace detail

template <class T>
void ParamSet::bind(ParamSpec& spec, T* target) {
  using Traits = detail::ValueTraits<T>;
  spec.value_name = Traits::value_name();
  spec.choices = Traits::choices();
  spec.assign = [target](std::string_view text) { Traits::parse(text, *target); };
  spec.current = [target] { return Traits::format(*target); };
}

}  // namespace dmf::cli
