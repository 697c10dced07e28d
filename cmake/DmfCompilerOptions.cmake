# Compiler flags shared by every dmf target, as an interface library that
# targets link to (dmf::options) rather than global flags.
add_library(dmf_options INTERFACE)
add_library(dmf::options ALIAS dmf_options)

target_compile_options(dmf_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough)

# GCC 12 reports Eigen's AVX-512 kernels (rank updates, GEMM) as reading
# uninitialised registers, a known false positive inside its intrinsics.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(dmf_options INTERFACE -Wno-maybe-uninitialized)
endif()

if(DMF_WERROR)
  target_compile_options(dmf_options INTERFACE -Werror)
endif()

if(DMF_NATIVE)
  target_compile_options(dmf_options INTERFACE -march=native)
endif()

if(DMF_SANITIZE)
  # -fno-sanitize-recover makes UBSan findings fail the test instead of printing.
  #
  # Four UBSan checks are left out: together they doubled the compile time of
  # the Eigen-heavy files (a unit-test batch: 99 s with them, 46 s without,
  # the same as ASan alone), and what they find is found here anyway:
  # null (a null dereference is a SEGV, which ASan reports with its stack),
  # object-size (ASan's bounds checks are stricter), pointer-overflow (a
  # wrapped pointer that is used is an ASan report), alignment (x86 loads
  # tolerate it; the aligned SIMD loads of the ALS kernels fault).
  set(_dmf_san -fsanitize=address,undefined
               -fno-sanitize=null,object-size,pointer-overflow,alignment
               -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  # -O1 -g1 (line tables only): what ASan needs for its reports, and a third
  # of the compile time of -O2 -g on the Eigen-heavy files (86 s -> 27 s for
  # the ALS kernel), which is most of the test suite's wall time.
  target_compile_options(dmf_options INTERFACE ${_dmf_san} -O1 -g1)
  target_link_options(dmf_options INTERFACE ${_dmf_san})
endif()
