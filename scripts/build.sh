#!/usr/bin/env bash
# Configures and builds the project (Release) into build/. Extra arguments go to CMake's
# configure step, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for an official (CUDA) LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
# Paths relative to the checkout in ccache's keys, so another clone reuses the same cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
