// IdDirectory::from_canonical: a directory of IDs read already sorted (a data
// set directory's ID files), where build() would sort them again.
#include "dmf/data/id_directory.hpp"
#include "dmf/dist/strings.hpp"

namespace dmf::data {

IdDirectory IdDirectory::from_canonical(const dist::Comm& comm, TokenTable owned,
                                        Ownership ownership, TokenOrder order) {
  IdDirectory directory;
  DMF_CHECK(owned.size() == ownership.rows(comm.rank()),
            "internal: rank {} holds {} IDs for {} rows", comm.rank(), owned.size(),
            ownership.rows(comm.rank()));
  directory.tokens_ = std::move(owned);
  directory.ownership_ = std::move(ownership);
  directory.first_row_ = directory.ownership_.begin(comm.rank());
  directory.order_ = order;
  const std::string first =
      directory.tokens_.empty() ? std::string() : std::string(directory.tokens_[0]);
  directory.first_tokens_ = dist::allgather_strings(comm, std::span(&first, 1));
  return directory;
}

}  // namespace dmf::data
