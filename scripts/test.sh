#!/usr/bin/env bash
# The README's test command: install, fetch MNIST (some tests use small subsets of it),
# build, run the whole suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build && ctest --output-on-failure -j"$(nproc)"
