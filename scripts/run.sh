#!/usr/bin/env bash
# The README's main command: install, fetch MNIST, build, train the default model, evaluate it
# (models/confusion.png, metrics.json, misclassified.png, training_curves.png).
# A second run skips what is done: training resumes from models/checkpoint.pt, and when all
# epochs are done it only re-exports. Extra arguments go to mnist-train.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh --tools
resume=()
if [ -f models/checkpoint.pt ]; then
  echo "run: models/checkpoint.pt exists: resuming (delete it to train from scratch)"
  resume=(--resume)
fi
build/app/mnist-train "${resume[@]}" "$@"
build/app/mnist-evaluate --misclassified 24
