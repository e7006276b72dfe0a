#!/usr/bin/env bash
# The README's test command: install, fetch MNIST (some tests use small subsets of it), build,
# run the whole suite with ctest, the unit, cli and serve tests again beside a CPU load, and a
# one-minute soak of mnist-serve; then build the suite again
# with clang, AddressSanitizer and UBSan (-DMNIST_SANITIZE=ON, in build-asan) and run it there
# too; the concurrent image preparation under ThreadSanitizer (build-tsan); last, every fuzz
# target for a minute (scripts/fuzz.sh: clang's libFuzzer with ASan and UBSan, build-fuzz;
# MNIST_FUZZ_SECONDS).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
scripts/setup.sh
scripts/build.sh

# Fails fast on code that compiles only here: every translation unit using LibTorch, as the build
# groups them (each file alone, twice, would take about 10 minutes more on 2 cores), against LibTorch 2.11's headers (../shared/libtorch-2.11, or MNIST_LIBTORCH_HEADERS) in C++17 and
# C++20, no warnings; headers that stand alone are checked by ctest (headers_alone).
headers_tar=${MNIST_LIBTORCH_HEADERS:-../shared/libtorch-2.11/torch-include.tar.xz}
if [ -f "$headers_tar" ]; then
  torch_headers=$(mktemp -d)
  trap 'rm -rf "$torch_headers"' EXIT
  tar -xJf "$headers_tar" -C "$torch_headers"
  for std in 17 20; do
    /usr/bin/python3 scripts/check_compile.py --sources --as-built --std "$std" --torch-include "$torch_headers/include" \
      --compile-commands build/compile_commands.json --jobs "$(nproc)"
  done
elif [ -n "${CI:-}" ]; then
  echo "test.sh: $headers_tar: missing; CI must run the compile check against LibTorch 2.11" >&2
  exit 1
else
  echo "test.sh: $headers_tar: missing, so no compile check against LibTorch 2.11 (set MNIST_LIBTORCH_HEADERS)"
fi
(cd build && ctest --output-on-failure -j"$(nproc)")

# The in-process, tool and service tests once more while stress-ng keeps four CPU workers busy
# beside them (scripts/stress-tests.sh): a test that holds only on an idle machine (a fixed sleep,
# a deadline a slow machine misses) fails here when it is written, not one run in a few later.
scripts/stress-tests.sh --cpu 4 -L 'unit|cli|serve'

# mnist-serve for a minute under steady mixed load (valid, malformed, oversized, slow clients):
# fails on any wrong answer, a death, or memory or open files that keep growing.
scripts/soak-serve.sh --minutes 1

# Optimised with line tables, so that sanitizer reports name files and lines at bearable speed;
# with clang, which compiles LibTorch's headers under ASan in under half GCC's time
# (scripts/build-notes.md, 6), and a second compiler reads the code too. Each file on its own,
# without the precompiled LibTorch header and unity groups of the Release build, which hide a
# file's missing include behind another file's (scripts/build-notes.md, 7).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNIST_SANITIZE=ON \
  -DMNIST_PRECOMPILE_TORCH=OFF -DMNIST_UNITY_BUILD=OFF \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build-asan -j"$(nproc)"
(cd build-asan && ctest --output-on-failure -j"$(nproc)")

# ThreadSanitizer on what runs on many threads without LibTorch (whose OpenMP runtime it cannot
# see into): images prepared concurrently, as mnist-serve prepares them.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNIST_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$(nproc)" --target test_concurrent_decoding
TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" build-tsan/tests/test_concurrent_decoding

# Coverage-guided fuzzing of every parser of outside input, from the committed seeds and past
# crashers; any crash, leak, timeout or sanitizer report fails.
scripts/fuzz.sh --seconds "${MNIST_FUZZ_SECONDS:-60}"
