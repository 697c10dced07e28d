// The one way src/dist/ turns an MPI error code into a dmf::Error.
#pragma once

#include <mpi.h>

#include <string>

#include "dmf/core/error.hpp"

namespace dmf::dist::detail {

inline void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail("MPI call {} failed: {}", what, std::string(text, static_cast<std::size_t>(length)));
}

}  // namespace dmf::dist::detail
