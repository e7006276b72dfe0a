#!/usr/bin/env bash
# Configures and builds the project (Release) into build/. --tools builds only the four tools,
# not the test suite (what scripts/run.sh needs). Other arguments go to CMake's configure step,
# e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for an official (CUDA) LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=()
if [ "${1:-}" = --tools ]; then
  targets=(--target mnist-train mnist-evaluate mnist-predict mnist-serve)
  shift
fi
# Paths relative to the checkout in ccache's keys, so another clone reuses the same cache; and
# the precompiled LibTorch headers cached too (ccache's documented settings for them).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)" "${targets[@]}"
