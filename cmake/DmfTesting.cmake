# Test helpers. MPI tests run the same GoogleTest binary under mpiexec with
# several rank counts; the settings that let Open MPI run as root and with
# more ranks than cores live here, not in users' faces.

include(GoogleTest)

set(DMF_TEST_TIMEOUT 300 CACHE STRING "Seconds before a test (a hung rank) is failed")

# Environment for every test that may start MPI.
set(DMF_MPI_TEST_ENV
  OMPI_ALLOW_RUN_AS_ROOT=1
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_rmaps_base_oversubscribe=1
  # No single-copy (CMA) transfers: they fail under ptrace-restricted sandboxes.
  OMPI_MCA_btl_vader_single_copy_mechanism=none
  # The ob1 messaging layer (shared memory between the ranks of one node)
  # instead of probing for UCX: MPI_Init takes 0.2 s instead of 0.5, and the
  # e2e tests start dmf several hundred times.
  OMPI_MCA_pml=ob1
  # mpiexec ends a job whose rank exited non-zero at once instead of waiting
  # (2.4 s per refused command; dmf's ranks leave together, nothing to kill).
  OMPI_MCA_odls_base_sigkill_timeout=0
  OMP_NUM_THREADS=1
  # Threads that wait sleep instead of spinning: tests oversubscribe the
  # cores (4 ranks x 2 threads on 2 cores), where spinning OpenMP barriers
  # starve the ranks (dmf_gd_mpi_tests at 3 ranks: 10 s spinning, 0.3 s passive).
  OMP_WAIT_POLICY=passive
  # Sanitizer builds: unwind fully (fast_unwind_on_malloc=0), so that Open
  # MPI's by-design allocations are attributed to it and suppressed by name.
  "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/cmake/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
  "ASAN_OPTIONS=detect_odr_violation=0")

# The mpiexec command line for NP ranks, in the output variable OUT.
function(dmf_mpiexec_command OUT NP)
  set(${OUT} ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${NP} --oversubscribe
      ${MPIEXEC_PREFLAGS} PARENT_SCOPE)
endfunction()

# How every test binary is compiled: the headers precompiled once by
# dmf_test_support, and the test code itself at -O1 in a Release build (the
# library it tests keeps -O3): at -O3 the tests' own references and fixtures
# took 205 CPU seconds to compile, at -O1 128, and the unit and MPI tests
# run as fast (34 s for all 357).
function(dmf_test_compile_options NAME)
  target_compile_options(${NAME} PRIVATE $<$<CONFIG:Release>:-O1>)
  if(NOT NAME STREQUAL "dmf_test_support")
    target_precompile_headers(${NAME} REUSE_FROM dmf_test_support)
  endif()
endfunction()

# dmf_add_unit_test(NAME SOURCES...): a GoogleTest binary run in one process.
function(dmf_add_unit_test NAME)
  add_executable(${NAME} ${ARGN})
  target_link_libraries(${NAME} PRIVATE dmf::lib GTest::gtest_main dmf_test_support)
  dmf_test_compile_options(${NAME})
  gtest_discover_tests(${NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS unit TIMEOUT ${DMF_TEST_TIMEOUT} ENVIRONMENT "${DMF_MPI_TEST_ENV}")
endfunction()

# dmf_add_mpi_test(NAME SOURCES... [RANKS 1 2 3 4] [SUITES pattern...]):
# a GoogleTest binary with an MPI main, registered once per rank count (and
# per suite pattern when SUITES is given, so a failure points at its suite).
function(dmf_add_mpi_test NAME)
  cmake_parse_arguments(ARG "" "" "RANKS;SUITES" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 1 2 3 4)
    # Under the sanitizers, 1 rank (the single-rank paths) and 3 (uneven
    # blocks, every multi-rank path) find the memory errors; the normal
    # build runs every rank count. This keeps the suite within its budget.
    if(DMF_SANITIZE)
      set(ARG_RANKS 1 3)
    endif()
  endif()
  if(NOT ARG_SUITES)
    set(ARG_SUITES "*")
  endif()
  add_executable(${NAME} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${NAME} PRIVATE dmf::lib GTest::gtest dmf_test_support dmf_mpi_test_main)
  dmf_test_compile_options(${NAME})
  foreach(np IN LISTS ARG_RANKS)
    dmf_mpiexec_command(launcher ${np})
    foreach(suite IN LISTS ARG_SUITES)
      if(suite STREQUAL "*")
        set(test_name "${NAME}.np${np}")
      else()
        string(REPLACE "*" "" suite_label "${suite}")
        set(test_name "${NAME}.${suite_label}.np${np}")
      endif()
      add_test(NAME ${test_name}
        COMMAND ${launcher} $<TARGET_FILE:${NAME}> --gtest_filter=${suite}
                --gtest_brief=1)
      set_tests_properties(${test_name} PROPERTIES
        LABELS "mpi" TIMEOUT ${DMF_TEST_TIMEOUT} PROCESSORS ${np}
        ENVIRONMENT "${DMF_MPI_TEST_ENV}")
    endforeach()
  endforeach()
endfunction()

# dmf_add_e2e_test(NAME SCRIPT): a bash script driving the dmf executable.
# The script gets the paths it needs in the environment. An e2e test counts
# as one processor although it starts 2-3 ranks at times: most of its time
# is process and MPI start-up and file I/O, so two of them share 2 cores
# well (the ASan e2e tests took 156 s two at a time, 245 s one at a time).
function(dmf_add_e2e_test NAME SCRIPT)
  if(DMF_SANITIZE)
    set(sanitized 1)
  else()
    set(sanitized 0)
  endif()
  # Leaks are looked for in the unit and MPI tests, which run the same
  # library in-process; in the e2e scripts, where every dmf start would pay
  # LeakSanitizer's full unwinding on each allocation (1.8 s against 0.7 s
  # for a small train), ASan and UBSan look for memory errors only.
  set(env ${DMF_MPI_TEST_ENV})
  if(DMF_SANITIZE)
    list(FILTER env EXCLUDE REGEX "^(LSAN|ASAN)_OPTIONS=")
    list(APPEND env "ASAN_OPTIONS=detect_odr_violation=0:detect_leaks=0")
  endif()
  add_test(NAME e2e.${NAME} COMMAND bash "${SCRIPT}")
  set_tests_properties(e2e.${NAME} PROPERTIES
    LABELS e2e TIMEOUT ${DMF_TEST_TIMEOUT} PROCESSORS 1
    ENVIRONMENT "${env};DMF_E2E_SANITIZED=${sanitized};DMF=$<TARGET_FILE:dmf>;DMF_MPIEXEC=${MPIEXEC_EXECUTABLE};DMF_E2E_LIB=${PROJECT_SOURCE_DIR}/tests/e2e/lib.sh;DMF_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
