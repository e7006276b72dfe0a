#!/usr/bin/env bash
# Load test of mnist-serve with wrk on loopback: requests/s and p50/p99 latency for a small PNG
# POSTed to /v1/predict at 64 connections, with batching on (the defaults) and off
# (--max-batch 1), alternated, several rounds each. A benchmark, not a test: it prints figures.
#   scripts/bench-serve.sh [--seconds 20] [--rounds 3] [--connections 64] [--model models/mnist_mlp.pt]
# Needs a Release build (scripts/build.sh) and wrk (scripts/setup.sh installs it). Says whether
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE were set, as they change the model's speed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
rounds=3
connections=64
model=models/mnist_mlp.pt
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    *) echo "bench-serve: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in build/app/mnist-serve build/tests/mnist_digit_png; do
  [ -x "$tool" ] || { echo "bench-serve: $tool missing: run scripts/build.sh first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench-serve: wrk missing: run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ ! -f "$model" ]; then
  echo "bench-serve: $model missing; training the fast recipe into $work/model"
  build/app/mnist-train --recipe fast --out-dir "$work/model" >/dev/null
  model=$work/model/mnist_mlp.pt
fi
build/tests/mnist_digit_png data/mnist 0 "$work/digit.png" >/dev/null
export MNIST_BENCH_PNG=$work/digit.png

echo "bench-serve: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-serve: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(not set)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(not set)}"
echo "bench-serve: $(stat -c %s "$work/digit.png")-byte PNG, $connections connections, ${seconds} s a run, wrk with 2 threads on the same machine"

run() {  # label, extra mnist-serve options...
  local label=$1
  shift
  build/app/mnist-serve --port 0 --model "$model" "$@" >"$work/serve.out" 2>&1 &
  server=$!
  local port=
  for _ in $(seq 100); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/serve.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench-serve: mnist-serve did not start:" >&2; cat "$work/serve.out" >&2; exit 1; }
  local line
  line=$(wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s -s scripts/bench/post_digit.lua \
    "http://127.0.0.1:$port" | grep '^bench:')
  local batches
  batches=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^mnist_model_batch_size_(sum|count)/ {print $2}' | paste -sd' ')
  local non200
  non200=$(curl -s "http://127.0.0.1:$port/metrics" | awk -F'[ "]' '/^mnist_http_requests_total\{route="\/v1\/predict"/ && $4 != "200" {n += $NF} END {print n + 0}')
  kill -TERM "$server"
  wait "$server" || true
  server=
  echo "$label: ${line#bench: }, non-200 answers $non200, batch size sum/count $batches"
}

for round in $(seq "$rounds"); do
  echo "round $round"
  run "  batching on  (--max-batch 32)"
  run "  batching off (--max-batch 1)" --max-batch 1
done
