#!/usr/bin/env bash
# Training and inference speed beside a plain PyTorch-Python loop and the sgemm floor: builds
# (Release) and runs scripts/bench/bench.py, which prints the README's "Performance" table.
# Extra arguments go to bench.py, e.g. --rounds 5 --threads 2 --batch-sizes 32,256.
# Takes about 10 minutes on a 2-core machine; run it on an otherwise idle machine.
#
# --device cuda (or cuda:N) instead measures training on a GPU: scripts/bench/bench_cuda.py runs
# the original recipe with mnist-train and with the PyTorch-Python peer on the same GPU
# (scripts/bench/gpu_peer.py), at batch 32 and 256. Give the peer a Python whose torch has CUDA
# with --python PATH; the build needs a LibTorch with CUDA (-DCMAKE_PREFIX_PATH, see README).
# --no-build uses the build folder as it is (--build-dir DIR, e.g. the GPU kit's).
set -euo pipefail
cd "$(dirname "$0")/.."
device=
build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --device)
      if [ $# -lt 2 ]; then echo "bench.sh: --device needs a value: cpu, cuda or cuda:N" >&2; exit 2; fi
      device=$2; shift 2 ;;
    --device=*) device=${1#--device=}; shift ;;
    --no-build) build=0; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$device" in
  ""|cpu) ;;
  cuda|cuda:[0-9]*)
    if ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
      echo "bench.sh: --device $device: no NVIDIA GPU here (nvidia-smi lists none); run it on a machine with one" >&2
      exit 1
    fi ;;
  *) echo "bench.sh: --device '$device': expected cpu, cuda or cuda:N" >&2; exit 2 ;;
esac
if [ "$build" = 0 ] && { [ -z "$device" ] || [ "$device" = cpu ]; }; then
  echo "bench.sh: --no-build is for --device cuda (the CPU benchmark builds its own comparison)" >&2
  exit 2
fi
if [ -n "$device" ] && [ "$device" != cpu ]; then
  # The LibTorch with CUDA is the user's (CMAKE_PREFIX_PATH); Debian's packages are not needed.
  [ "$build" = 1 ] && scripts/build.sh --tools
  exec /usr/bin/python3 scripts/bench/bench_cuda.py --device "$device" ${args[@]+"${args[@]}"}
fi
scripts/setup.sh
scripts/build.sh
# The bare comparison for mnist-predict: the README's standalone example, which only loads the
# model and runs it.
cmake -S tests/standalone_consumer -B build/bench-consumer -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench-consumer >/dev/null
exec /usr/bin/python3 scripts/bench/bench.py ${args[@]+"${args[@]}"}
