#!/usr/bin/env bash
# One-command set-up: install the Debian packages dmf needs (only the missing
# ones, only from Debian's archive), then configure and build.
#
#   cmake/bootstrap.sh [--build-dir DIR] [--sanitize] [--] [extra cmake args]
#
#   --build-dir DIR  where to build (default: build/, or build-asan/ with --sanitize)
#   --sanitize       ASan + UBSan build: -DDMF_SANITIZE=ON
#                    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMF_BUILD_BENCHMARKS=OFF
#   -DNAME=VALUE     passed to cmake, as is everything after `--`
#
# Installing needs root and apt-get; without them the script prints the
# `sudo apt-get install ...` line to run and exits 1. When everything is
# installed it says nothing about packages. Configure and build output goes to
# DIR/bootstrap.log, shown only when a step fails; the last line is a summary.
set -euo pipefail

readonly PACKAGES=(
  g++ cmake ninja-build pkg-config
  libopenmpi-dev openmpi-bin
  libeigen3-dev libboost-program-options-dev libfmt-dev nlohmann-json3-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  librsvg2-bin python3-numpy
)

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir=""
sanitize=0
cmake_args=()

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() {
  echo "bootstrap: $*" >&2
  exit 1
}

while (($# > 0)); do
  case "$1" in
    --build-dir)
      (($# >= 2)) || die "--build-dir needs a directory"
      build_dir="$2"
      shift 2
      ;;
    --build-dir=*)
      build_dir="${1#*=}"
      shift
      ;;
    --sanitize)
      sanitize=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      cmake_args+=("$@")
      break
      ;;
    -D*)
      cmake_args+=("$1")
      shift
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

if [[ -z "$build_dir" ]]; then
  if ((sanitize)); then build_dir="$root_dir/build-asan"; else build_dir="$root_dir/build"; fi
fi

# A path as the user would type it from the repository's top level.
show() { if [[ "$1" == "$root_dir"/* ]]; then echo "${1#"$root_dir"/}"; else echo "$1"; fi; }

# --- Packages -----------------------------------------------------------------

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
else
  echo "bootstrap: not a Debian system (no dpkg-query); not checking packages." >&2
  echo "bootstrap: dmf needs the equivalents of: ${PACKAGES[*]}" >&2
fi

if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: install them (needs root), then run this script again:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing missing Debian packages: ${missing[*]}"
  mkdir -p "$build_dir"
  apt_log="$build_dir/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg holding the lock instead of failing at once.
  apt_opts=(-q -o DPkg::Lock::Timeout=300)
  if ! { apt-get "${apt_opts[@]}" update &&
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    echo "bootstrap: apt-get failed; full log: $(show "$apt_log")" >&2
    tail -n 40 "$apt_log" >&2
    exit 1
  fi
  for pkg in "${missing[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || die "$pkg is still not installed; see $(show "$apt_log")"
  done
fi

# --- Configure and build --------------------------------------------------------

mkdir -p "$build_dir"
build_dir="$(cd "$build_dir" && pwd)"
log="$build_dir/bootstrap.log"
: >"$log"

# Prints the log of the failed step (from ninja's FAILED: line when there is
# one, else its tail) and exits 1.
fail_with_log() {
  echo "bootstrap: $1 failed; full log: $(show "$log")" >&2
  if grep -q '^FAILED: ' "$log"; then
    sed -n '/^FAILED: /,$p' "$log" | head -n 300 >&2
  else
    tail -n 100 "$log" >&2
  fi
  exit 1
}

start=$SECONDS
configure=(cmake -S "$root_dir" -B "$build_dir")
# A build directory keeps the generator it was made with; choose it only once.
[[ -f "$build_dir/CMakeCache.txt" ]] || configure+=(-G Ninja)
if ((sanitize)); then
  configure+=(-DDMF_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMF_BUILD_BENCHMARKS=OFF)
fi
configure+=("${cmake_args[@]}")

jobs="$(nproc 2>/dev/null || echo 2)"
{
  echo "+ ${configure[*]}"
  "${configure[@]}"
} >>"$log" 2>&1 || fail_with_log "configure"
{
  echo "+ cmake --build $build_dir --parallel $jobs"
  cmake --build "$build_dir" --parallel "$jobs"
} >>"$log" 2>&1 || fail_with_log "build"

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"; }
state="built"
tail -n 1 "$log" | grep -q '^ninja: no work to do' && state="up to date"
echo "bootstrap: $(show "$build_dir")/ $state ($(cache CMAKE_BUILD_TYPE), sanitize" \
  "$(cache DMF_SANITIZE), werror $(cache DMF_WERROR)) in $((SECONDS - start))s;" \
  "log: $(show "$log")"
