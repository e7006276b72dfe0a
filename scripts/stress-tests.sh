#!/usr/bin/env bash
# The test suite on a busy machine: ctest runs the built suite (build/ by default) while
# stress-ng keeps --cpu N workers spinning beside it, so that a test which holds only on an idle
# machine (a fixed sleep, a deadline a slow machine misses, a counter read too early) fails here
# instead of one run in a few elsewhere. Two ways to repeat:
#   --until-fail N   ctest --repeat until-fail:N: every test up to N times, stopping at its first failure
#   --rounds N       the whole selection N times over, then a table of how often each test failed
#                    (for measuring flakiness before and after a fix; exits 1 if any run failed)
# --one-core pins the tests and the load to the first core: a thread that wakes another there
# may be preempted by it at once, the harshest interleaving (it made a counter race show up in 3
# of 20 runs, which four workers spread over two cores did not show in 15).
# Usage: scripts/stress-tests.sh [--build-dir build] [--cpu 4] [--one-core] [--until-fail N | --rounds N]
#                                [--jobs N] [CTEST ARGS...]     e.g. -L 'unit|cli|serve'
# It prints the wall time, the load it ran beside, and whether OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
# were set (they are left as they are).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cpu=4
until_fail=""
rounds=""
pin=()
jobs=$(nproc)
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --cpu) cpu="$2"; shift 2 ;;
    --until-fail) until_fail="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --one-core) pin=(taskset -c 0); shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ctest_args+=("$1"); shift ;;
  esac
done
usage() { echo "stress-tests.sh: $1. See scripts/stress-tests.sh --help" >&2; exit 2; }
for pair in "--cpu:$cpu" "--jobs:$jobs" "--until-fail:${until_fail:-1}" "--rounds:${rounds:-1}"; do
  value=${pair#*:}
  case "$value" in ''|*[!0-9]*|0) usage "${pair%%:*} $value: must be a whole number from 1" ;; esac
done
[ -n "$until_fail" ] && [ -n "$rounds" ] && usage "--until-fail and --rounds: give one of them"
[ -n "$until_fail" ] || [ -n "$rounds" ] || until_fail=1
[ -f "$build_dir/CTestTestfile.cmake" ] || usage "$build_dir: no built test suite there; run scripts/build.sh first"
command -v stress-ng >/dev/null || { echo "stress-tests.sh: stress-ng: not installed; run scripts/setup.sh" >&2; exit 1; }

# The load: N CPU workers until this script ends, however it ends.
${pin[@]+"${pin[@]}"} stress-ng --cpu "$cpu" --quiet &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null; wait "$stress_pid" 2>/dev/null || true' EXIT

where="on $(nproc) cores"
[ ${#pin[@]} = 0 ] || where="both pinned to core 0"
echo "stress-tests: ctest in $build_dir with stress-ng --cpu $cpu beside it, $where;" \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)}"
SECONDS=0
status=0
if [ -n "$until_fail" ]; then
  (cd "$build_dir" && ${pin[@]+"${pin[@]}"} ctest --output-on-failure -j"$jobs" --repeat until-fail:"$until_fail" "${ctest_args[@]}") || status=$?
else
  declare -A failures=()
  failed_rounds=0
  for round in $(seq 1 "$rounds"); do
    if (cd "$build_dir" && ${pin[@]+"${pin[@]}"} ctest --output-on-failure -j"$jobs" "${ctest_args[@]}") >"$build_dir/stress-round.log" 2>&1; then
      echo "stress-tests: round $round of $rounds passed"
    else
      failed_rounds=$((failed_rounds + 1))
      echo "stress-tests: round $round of $rounds failed:"
      grep -E '^[[:space:]]*[0-9]+ - ' "$build_dir/stress-round.log" | sed 's/^/  /' || true
      # ctest's list of failed tests, "NUMBER:NAME" a line.
      while IFS=: read -r _ name; do
        failures[$name]=$(( ${failures[$name]:-0} + 1 ))
      done <"$build_dir/Testing/Temporary/LastTestsFailed.log"
    fi
  done
  echo "stress-tests: $failed_rounds of $rounds rounds failed"
  for name in "${!failures[@]}"; do echo "  $name: failed in ${failures[$name]} of $rounds rounds"; done | sort
  [ "$failed_rounds" = 0 ] || status=1
fi
echo "stress-tests: wall time ${SECONDS} s, exit $status"
exit "$status"
