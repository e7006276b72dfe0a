#!/usr/bin/env bash
# Training and inference speed beside a plain PyTorch-Python loop and the sgemm floor: builds
# (Release) and runs scripts/bench/bench.py, which prints the README's "Performance" table.
# Extra arguments go to bench.py, e.g. --rounds 5 --threads 2 --batch-sizes 32,256.
# Takes about 10 minutes on a 2-core machine; run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
# The bare comparison for mnist-predict: the README's standalone example, which only loads the
# model and runs it.
cmake -S tests/standalone_consumer -B build/bench-consumer -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench-consumer >/dev/null
exec /usr/bin/python3 scripts/bench/bench.py "$@"
