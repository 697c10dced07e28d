// Which items a list may hold: `--candidates FILE` (an allow-list: only
// these are ranked) and `--exclude FILE` (a deny-list: never listed), the
// same on every rank. Each list is the sorted global rows of its known IDs,
// held whole by every rank: it is as long as the file the user wrote, never
// the catalogue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::eval {

/// The items of an ID list file (eval/id_list.hpp) that the model has.
struct ItemList {
  std::vector<std::uint32_t> rows;  // global item rows, ascending, distinct
  std::uint64_t ids = 0;            // IDs in the file, repeats included
  std::uint64_t unknown = 0;        // of them, IDs the model does not have
};

/// Collective: reads `path`'s IDs and looks them up in `items`. IDs the
/// model does not have are counted, not an error: a catalogue file often
/// lists items newer than the model, which it could not rank anyway.
[[nodiscard]] ItemList read_item_list(const dist::Comm& comm, const std::string& path,
                                      const data::IdDirectory& items);

struct ItemFilter {
  std::optional<std::vector<std::uint32_t>> allowed;  // none: every item; else ascending rows
  std::vector<std::uint32_t> denied;                  // ascending rows

  /// admits[j] = whether item row first + j may be listed, for j < count.
  void mark(std::uint32_t first, std::size_t count, std::vector<char>& admits) const;
  /// How many of the rows [0, total) may be listed.
  [[nodiscard]] std::uint64_t admitted(std::uint32_t total) const;
};

/// The filter of `--candidates` and `--exclude` (either may be "", not
/// given) and a note for the summary line: how many items may be listed,
/// how many IDs of each file the model does not have.
struct ItemLists {
  ItemFilter filter;
  std::string note;  // "" without lists, else "; N of M items may be listed (...)"
};

/// Collective. A --candidates file none of whose IDs `items` has (model
/// directory `model`, for the message) is an error on every rank: every
/// list would be empty, surely a wrong file or a model of other IDs.
[[nodiscard]] ItemLists read_item_lists(const dist::Comm& comm, const std::string& candidates,
                                        const std::string& exclude, const std::string& model,
                                        const data::IdDirectory& items);

}  // namespace dmf::eval
