#!/usr/bin/env bash
# Fuzzes every parser of outside input (tests/fuzz): builds the fuzz targets with clang-14's
# libFuzzer, AddressSanitizer and UBSan into build-fuzz/, then runs each for --seconds (default
# 60), --jobs at a time (default: the number of cores). Each starts from its committed seeds
# (tests/fuzz/corpus/<target>), every input that once crashed it (tests/fuzz/regressions/<target>)
# and what earlier runs here found (build-fuzz/corpus/<target>), with its dictionary.
# A crash, an uncaught exception, a broken property, a leak (but those inside a library we call
# that tests/fuzz/lsan.supp lists), a timeout (10 s for one input), more
# than 2 GB of memory or any sanitizer report fails the run: the input is left in
# build-fuzz/findings/<target>/; commit it (reduced, with the fix) under
# tests/fuzz/regressions/<target>/, where ctest replays it from then on.
# Prints one line per target: executions, coverage (libFuzzer's cov: edges and ft: features),
# corpus size. Usage: scripts/fuzz.sh [--seconds N] [--jobs N] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
jobs="$(nproc)"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds $seconds: not a whole number" >&2; exit 2 ;; esac
case "$jobs" in ''|*[!0-9]*|0) echo "fuzz.sh: --jobs $jobs: not a positive whole number" >&2; exit 2 ;; esac
# The seeds a target starts from: its own, but hdf5_in_process (fuzz_keras_h5.cpp reading in
# this process, to find HDF5's crashes; run only when named) starts from keras_h5's, without
# keras_h5's regressions, which crash it by design.
seeds_of() { if [ "$1" = hdf5_in_process ]; then echo keras_h5; else echo "$1"; fi; }
export -f seeds_of
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(ls tests/fuzz/corpus))
fi
for target in "${targets[@]}"; do
  if [ ! -d "tests/fuzz/corpus/$(seeds_of "$target")" ]; then
    echo "fuzz.sh: unknown target $target (one of: $(ls tests/fuzz/corpus | tr '\n' ' ')hdf5_in_process)" >&2
    exit 2
  fi
done

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNIST_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

# Seconds one input may take (keras_h5's reading process has a deadline of 1 s,
# fuzz_keras_h5.cpp, so that a file HDF5 loops on is its error, not a timeout).
timeout=10
export timeout

# Memory limit in MB: 2048, but none for keras_h5, whose child inherits libFuzzer's malloc limit
# and would report what HDF5 allocates there (the child has its 60 s deadline instead).
rss_limit_of() { if [ "$1" = keras_h5 ]; then echo 0; else echo 2048; fi; }
export -f rss_limit_of

# hdf5_in_process finds a crash inside HDF5 within seconds, which would end a normal run: it
# runs in libFuzzer's fork mode (one child at a time per job), which keeps going past crashes,
# timeouts and out-of-memory, and leaves each in findings/ (so its run still fails).
fork_mode_of() { if [ "$1" = hdf5_in_process ]; then echo "-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"; fi; }
export -f fork_mode_of

# One target's run; its output goes to build-fuzz/logs/<target>.log.
fuzz_one() {
  local target="$1" dict=() inputs=()
  mkdir -p "build-fuzz/corpus/$target" "build-fuzz/findings/$target" build-fuzz/logs
  local seeds
  seeds="$(seeds_of "$target")"
  [ -f "tests/fuzz/dictionaries/$seeds.dict" ] && dict=(-dict="tests/fuzz/dictionaries/$seeds.dict")
  inputs=("tests/fuzz/corpus/$seeds")
  [ -d "tests/fuzz/regressions/$target" ] && inputs+=("tests/fuzz/regressions/$target")
  # Leaks are reported (LeakSanitizer) but allocator failures become errors only above 2 GB.
  # shellcheck disable=SC2046 # fork_mode_of gives whole words
  "build-fuzz/tests/fuzz/fuzz_$target" "build-fuzz/corpus/$target" "${inputs[@]}" "${dict[@]}" $(fork_mode_of "$target") \
    -max_total_time="$seconds" -timeout="$timeout" -report_slow_units="$timeout" \
    -rss_limit_mb="$(rss_limit_of "$target")" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/findings/$target/" >"build-fuzz/logs/$target.log" 2>&1
}
export -f fuzz_one
export seconds
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# A library asking for an absurd size (HDF5 trusting a damaged length) gets NULL, as glibc would
# give it, and must cope; our own code's `new` then throws std::bad_alloc, which no target
# catches, so that still fails.
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time" \
     "(OPENBLAS and other environment as given; clang $(clang-14 -dumpversion))"
status=0
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'fuzz_one {}' || status=1

for target in "${targets[@]}"; do
  log="build-fuzz/logs/$target.log"
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
  corpus=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || true)
  # Fork mode prints no final statistics of its own; its last status line counts the executions.
  [ -n "$runs" ] || runs=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#' || true)
  # libFuzzer also leaves slow-unit-* files there: inputs slower than the timeout's limit for
  # reporting, which are not failures (a timeout is its own timeout-* file).
  found=$(ls "build-fuzz/findings/$target" | grep -vc '^slow-unit-' || true)
  echo "fuzz: $target: ${runs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, corpus ${corpus:-?}, findings $found"
  if [ "$found" -gt 0 ] || ! grep -qE '^Done [0-9]+ runs|^INFO: exiting: 0 ' "$log"; then
    status=1
    echo "fuzz: $target FAILED; its report:" >&2
    grep -E 'ERROR|SUMMARY|==[0-9]+==|fuzz property|terminate|Test unit written' "$log" | head -20 >&2 || true
    echo "fuzz: full log: $log; the input(s): build-fuzz/findings/$target/" >&2
  fi
done
exit "$status"
