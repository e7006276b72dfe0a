#!/usr/bin/env bash
# Soak test of mnist-serve: steady mixed load for a while, watching the server's memory and open
# files; exit 1 when anything went wrong, 0 when it held up.
#   scripts/soak-serve.sh [--minutes 30] [--model PATH] [--rate 40] [--sample-seconds S] [--build DIR]
# CI runs `scripts/soak-serve.sh --minutes 1`: about 70 s, with the one-epoch model it trains.
#
# The load (scripts/soak/soak_load.py, Python's standard library only): 4 workers sending 40
# requests/s in all, each drawn at random (seeded) among valid PNG, JSON pixel and multipart
# bodies and /healthz (80%), and refusals: bytes that are no image, broken JSON (400), a wrong
# Content-Type (415), a body above --max-body, a PNG header claiming 100000x100000 pixels (413).
# Two slow clients beside them: one sends a whole request in 64-byte pieces 0.2 s apart (must get
# 200), one sends half a request line and stalls (the server must drop it after its --timeout).
#
# The server's VmRSS (/proc/PID/status) and open fds (/proc/PID/fd) are sampled every
# --sample-seconds (default: 10, or the run's length / 30 when shorter). It FAILS when:
#   - any valid request did not get its 200, or any request got another outcome than its own;
#   - the server died, or did not stop on SIGTERM with exit 0 and its "stopped:" line;
#   - RSS or fds keep growing. The samples are cut into quarters: the first is warm-up (thread
#     pools and allocator arenas fill), the second the baseline. The median of the last quarter
#     must stay within baseline median x 1.10 + 8 MiB for RSS, and baseline median + 8 for fds.
# Without --model: models/mnist_mlp.pt if it exists, else a one-epoch fast-recipe model trained
# for the run (its accuracy does not matter here). Needs a build (scripts/build.sh --tools is
# enough) and MNIST in data/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
model=
rate=40
sample_seconds=
build=build  # its app/ holds mnist-serve and mnist-train; a copy keeps a long soak off rebuilds
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --sample-seconds) sample_seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak-serve: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] && [ "$(awk -v m="$minutes" 'BEGIN {print (m > 0)}')" = 1 ] ||
  { echo "soak-serve: --minutes $minutes: must be a positive number" >&2; exit 2; }
seconds=$(awk -v m="$minutes" 'BEGIN {printf "%.0f", m * 60}')
if [ -z "$sample_seconds" ]; then
  sample_seconds=$(awk -v s="$seconds" 'BEGIN {v = s / 30; if (v > 10) v = 10; if (v < 1) v = 1; print v}')
fi
for tool in "$build/app/mnist-serve" "$build/app/mnist-train"; do
  [ -x "$tool" ] || { echo "soak-serve: $tool missing: run scripts/build.sh first" >&2; exit 1; }
done
images=data/mnist/t10k-images-idx3-ubyte
[ -f "$images" ] || { echo "soak-serve: $images missing: run scripts/setup.sh to fetch MNIST" >&2; exit 1; }

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill -KILL "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$model" ]; then
  model=models/mnist_mlp.pt
  if [ ! -f "$model" ]; then
    echo "soak-serve: $model missing; training a one-epoch fast-recipe model for the run"
    "$build/app/mnist-train" --recipe fast --epochs 1 --out-dir "$work/model" >/dev/null
    model=$work/model/mnist_mlp.pt
  fi
fi
[ -f "$model" ] || { echo "soak-serve: --model $model: missing" >&2; exit 1; }

max_body=4194304
read_timeout=5
"$build/app/mnist-serve" --port 0 --model "$model" --max-body "$max_body" --timeout "$read_timeout" >"$work/serve.out" 2>&1 &
server=$!
port=
for _ in $(seq 600); do
  port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/serve.out")
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak-serve: mnist-serve did not start:" >&2; cat "$work/serve.out" >&2; exit 1; }

echo "soak-serve: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "soak-serve: mnist-serve pid $server on port $port, model $model; $minutes min at $rate requests/s + 2 slow clients, samples every $sample_seconds s"
verdict=0
/usr/bin/python3 scripts/soak/soak_load.py --port "$port" --pid "$server" --seconds "$seconds" --rate "$rate" \
  --sample-seconds "$sample_seconds" --max-body "$max_body" --read-timeout "$read_timeout" \
  --mnist-images "$images" --samples-out "$work/samples.tsv" || verdict=1

# The server must still be there, and stop as documented: SIGTERM, exit 0, a last "stopped:" line.
if kill -TERM "$server" 2>/dev/null; then
  status=0
  wait "$server" || status=$?
  server=
  if [ "$status" != 0 ] || ! tail -n 1 "$work/serve.out" | grep -q '^stopped: '; then
    echo "soak-serve: FAIL: mnist-serve exited $status on SIGTERM; its last lines:" >&2
    tail -n 5 "$work/serve.out" >&2
    verdict=1
  else
    echo "soak-serve: mnist-serve $(tail -n 1 "$work/serve.out")"
  fi
else
  echo "soak-serve: FAIL: mnist-serve was gone before SIGTERM; its last lines:" >&2
  tail -n 5 "$work/serve.out" >&2
  verdict=1
fi
[ -z "${SOAK_SAMPLES_OUT:-}" ] || cp "$work/samples.tsv" "$SOAK_SAMPLES_OUT"
[ "$verdict" = 0 ] && echo "soak-serve: PASS" || echo "soak-serve: FAIL"
exit "$verdict"
