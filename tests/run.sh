#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#
#   tests/run.sh           normal build + ASan/UBSan build, each with its tests
#   tests/run.sh --fast    normal build and its tests only (for developers)
#
# Phases: cmake/bootstrap.sh (missing Debian packages, configure, build) of
# build/ (Release, -DDMF_WERROR=ON), ctest there; then the same for
# build-asan/ (cmake/bootstrap.sh --sanitize: ASan + UBSan, RelWithDebInfo; the
# benchmarks are built once, in the normal build). Both are unity builds
# (-DCMAKE_UNITY_BUILD=ON: a handful of sources compiled as one), which
# parse the heavy headers (Eigen, Boost, nlohmann/json) once per batch and
# take about 30% less time; developers' own build trees stay file by file.
# A configuration whose build fails is reported and its tests skipped; the
# other configuration still runs. Ends with a summary (wall time per phase)
# and exits non-zero if anything failed.
#
# Environment: CTEST_JOBS (default: number of cores) runs tests in parallel.
# MPI tests carry a PROCESSORS property (their ranks), e2e tests count as one
# (mostly start-up and I/O), so ctest counts them against that limit; a test
# with more ranks than CTEST_JOBS runs alone.
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fast=0
case "${1:-}" in
  "") ;;
  --fast) fast=1 ;;
  -h | --help)
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  *)
    echo "tests/run.sh: unknown argument '$1' (usage: tests/run.sh [--fast])" >&2
    exit 2
    ;;
esac

ctest_jobs="${CTEST_JOBS:-$(nproc 2>/dev/null || echo 2)}"
summary=()
failed=0
build_failed=()
tests_passed=0
tests_failed=0
tests_skipped=0
suite_start=$SECONDS

# record NAME STATUS SECONDS DETAIL: one line of the summary.
record() {
  summary+=("$(printf '%-22s %-7s %5ss  %s' "$1" "$2" "$3" "$4")")
  [[ "$2" == ok ]] || failed=1
}

# print_failed_outputs DIR CTEST-OUT: the end of each failed test's output
# again, read from ctest's log. With two tests running at once a failure's
# output scrolls far up; here it sits next to the list of failures.
print_failed_outputs() {
  local dir="$1" out="$2" name
  local log="$dir/Testing/Temporary/LastTest.log"
  [[ -f "$log" ]] || return 0
  sed -nE '/^The following tests FAILED:/,/^Errors while running CTest/s/^[[:space:]]+[0-9]+ - ([^ ]+) .*/\1/p' \
    "$out" | while read -r name; do
    echo "=== the last lines $name printed"
    awk -v test="$name" '
      $0 ~ "^[0-9]+/[0-9]+ Test: " && $3 == test { mine = 1; next }
      mine && /^<end of output>$/ { exit }
      mine && started { print }
      mine && /^Output:$/ { getline; started = 1 }' "$log" | tail -n 100
  done
}

# run_config NAME DIR BOOTSTRAP-ARGS...: build DIR, then run its tests.
run_config() {
  local name="$1" dir="$2"
  shift 2
  echo "=== build ($name): cmake/bootstrap.sh $*"
  local start=$SECONDS code=0
  "$root_dir/cmake/bootstrap.sh" --build-dir "$root_dir/$dir" "$@" || code=$?
  if ((code != 0)); then
    record "build $dir/" FAILED $((SECONDS - start)) "tests not run"
    build_failed+=("$dir/")
    return
  fi
  record "build $dir/" ok $((SECONDS - start)) "$name"

  echo "=== ctest ($name): $dir/, -j$ctest_jobs"
  local out="$root_dir/$dir/ctest.out"
  start=$SECONDS
  code=0
  (cd "$root_dir/$dir" && ctest --output-on-failure --no-tests=error -j "$ctest_jobs") 2>&1 |
    tee "$out" || code=$?
  # ctest's closing line: "100% tests passed, 0 tests failed out of 57".
  local line total=0 bad=0
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -n 1 || true)"
  if [[ -n "$line" ]]; then
    bad="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")"
    total="$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")"
  fi
  # ctest counts skipped and disabled tests as passed; they are listed under
  # "The following tests did not run:" as "  61 - Name (Skipped)".
  local skipped
  skipped="$(grep -cE '^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled)\)$' "$out" || true)"
  tests_passed=$((tests_passed + total - bad - skipped))
  tests_failed=$((tests_failed + bad))
  tests_skipped=$((tests_skipped + skipped))
  local detail="$total tests"
  ((skipped == 0)) || detail+=", $skipped skipped"
  if ((code != 0)); then
    record "ctest $dir/" FAILED $((SECONDS - start)) "$bad of $total tests failed (exit $code)"
    print_failed_outputs "$root_dir/$dir" "$out"
  else
    record "ctest $dir/" ok $((SECONDS - start)) "$detail"
  fi
}

run_config "Release, -Werror" build -DCMAKE_BUILD_TYPE=Release -DDMF_WERROR=ON -DCMAKE_UNITY_BUILD=ON
if ((!fast)); then
  run_config "ASan+UBSan" build-asan --sanitize -DDMF_BUILD_BENCHMARKS=OFF -DCMAKE_UNITY_BUILD=ON
fi

echo
echo "=== summary (tests/run.sh${1:+ $1})"
printf '%s\n' "${summary[@]}"
elapsed=$((SECONDS - suite_start))
printf 'total %dm%02ds\n' $((elapsed / 60)) $((elapsed % 60))
if ((${#build_failed[@]} > 0)); then
  echo "suite: FAILED, did not build: ${build_failed[*]}"
else
  echo "suite: $tests_passed passed, $tests_failed failed, $tests_skipped skipped"
fi
exit "$failed"
