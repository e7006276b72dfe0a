#!/usr/bin/env bash
# The checks issue 24 needs on a GPU machine that has CUDA and PyTorch but none of our other
# dependencies: copies the GPU kit (../shared/gpu-kit, or $MNIST_GPU_KIT) into .gpu-kit (kept
# out of git), then runs its build_and_run.sh, which builds this checkout against the machine's
# LibTorch with the kit's carried libraries. Not for: Debian (scripts/test.sh), nor changing the
# kit itself (its own README says how).
#
#   scripts/gpu-kit.sh [tests] [gpu] [bench]     (default: all three, in this order)
#
#   tests  MODE=tests: the whole ctest suite but the browser tests against this LibTorch, with
#          libstdcxx_first (libstdc++ before LibTorch in every program's NEEDED list, and
#          mnist-train's std::filesystem symbols bound to libstdc++) and headers_alone.
#   gpu    the kit's GPU runs: Device.* tests on the GPU, mnist-train --device cuda with the
#          fast, original and default recipes (test accuracy in runs.log), the peer, evaluate,
#          a resume.
#   bench  scripts/bench.sh --device cuda on the kit's build (after gpu, which builds it).
# Results: $OUT/<stage>/ (default /tmp/mnist-kit-out): the kit's summary.txt and logs, bench.txt.
# Without nvidia-smi the kit builds and runs CPU checks only; bench then stops with one line.
set -uo pipefail
cd "$(dirname "$0")/.."
KIT_FROM=${MNIST_GPU_KIT:-../shared/gpu-kit}
OUT_ROOT=${OUT:-/tmp/mnist-kit-out}
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(tests gpu bench)
for stage in "${stages[@]}"; do
  case "$stage" in
    tests|gpu|bench) ;;
    *) echo "gpu-kit.sh: '$stage': expected tests, gpu or bench" >&2; exit 2 ;;
  esac
done
if [ ! -f "$KIT_FROM/build_and_run.sh" ]; then
  echo "gpu-kit.sh: $KIT_FROM/build_and_run.sh: missing; set MNIST_GPU_KIT to the kit's folder" >&2
  exit 2
fi
rm -rf .gpu-kit && cp -r "$KIT_FROM" .gpu-kit && chmod -R u+w .gpu-kit
grep -qx '/.gpu-kit/' .git/info/exclude 2>/dev/null || echo '/.gpu-kit/' >> .git/info/exclude

status=0
for stage in "${stages[@]}"; do
  out=$OUT_ROOT/$stage
  mkdir -p "$out"
  case "$stage" in
    tests) OUT=$out MODE=tests DEADLINE_S=${DEADLINE_S:-600} bash .gpu-kit/build_and_run.sh || status=1 ;;
    gpu) OUT=$out DEADLINE_S=${DEADLINE_S:-900} bash .gpu-kit/build_and_run.sh || status=1 ;;
    bench)
      # The kit's build (BUILD_DIR), its unpacked MNIST and runtime libraries (WORK); the peer
      # runs on the Python whose torch the kit built against.
      work=${WORK:-/tmp/mnist-kit}
      python=${PYTHON:-$( [ -x /opt/torch/.venv/bin/python3 ] && echo /opt/torch/.venv/bin/python3 || echo python3)}
      torch_lib=$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
      LD_LIBRARY_PATH=$work/rt${torch_lib:+:$torch_lib} scripts/bench.sh --device cuda --no-build \
        --build-dir "${BUILD_DIR:-/tmp/b}" --data-dir "$work/src/data/mnist" --python "$python" \
        --json "$out/bench.json" 2>&1 | tee "$out/bench.txt" || status=1 ;;
  esac
done
exit $status
