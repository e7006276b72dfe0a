"""Training speed on a GPU: mnist-train --device cuda beside the PyTorch-Python peer on the same
GPU (gpu_peer.py: the training set on the device, batches by index). Run through
`scripts/bench.sh --device cuda`, which builds first; the CPU comparison is bench.py.

For each batch size (32 and 256 by default), each contender trains the original recipe (Adam at
a constant 0.001) for --epochs on the GPU once; the table gives samples/s over the training
time, the time per step (batch size / samples/s), test accuracy, and the whole command's wall
time (loading, training, evaluation, and for mnist-train the exports). Not for: the CPU (bench.py),
several rounds or medians (a GPU run is long; run it again to see the spread).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

from bench import machine, number_before, run

HERE = os.path.dirname(os.path.abspath(__file__))
GPU_PEER = os.path.join(HERE, "gpu_peer.py")
TRAIN_IMAGES = 60000


def gpu_name():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
        return out.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown GPU"


def main():
    parser = argparse.ArgumentParser(description="GPU training speed beside the PyTorch-Python peer")
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--data-dir", default="data/mnist")
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="Python whose torch has CUDA, for the peer")
    parser.add_argument("--device", default="cuda", help="cuda or cuda:N")
    parser.add_argument("--epochs", type=int, default=50, help="epochs per run (the original recipe: 50)")
    parser.add_argument("--batch-sizes", default="32,256")
    parser.add_argument("--json", help="also write the raw measurements here")
    args = parser.parse_args()
    if not args.device.startswith("cuda"):
        parser.error(f"--device {args.device}: this benchmark is for CUDA; bench.py measures the CPU")

    train_binary = os.path.join(args.build_dir, "app", "mnist-train")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    work = os.path.join(args.build_dir, "bench-cuda")
    raw = {}
    print(f"bench --device {args.device}: {gpu_name()}; host {machine()}; {args.epochs} epochs per run",
          flush=True)
    for batch in batch_sizes:
        out, wall, _ = run([train_binary, "--device", args.device, "--data-dir", args.data_dir,
                            "--out-dir", os.path.join(work, f"train-{batch}"), "--recipe", "original",
                            "--epochs", str(args.epochs), "--batch-size", str(batch)])
        ours = {"samples_per_s": number_before(r"done: .* ([0-9.]+) samples/s", out, "samples/s"),
                "test_accuracy": number_before(r"done: .*test accuracy ([0-9.]+)", out, "test accuracy"),
                "wall": wall}
        # The peer's Python brings its own LibTorch: our LD_LIBRARY_PATH (the GPU kit's) stays out.
        env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
        out, wall, _ = run([args.python, GPU_PEER, "--data-dir", args.data_dir, "--device", args.device,
                            "--epochs", str(args.epochs), "--batch-size", str(batch)], env=env)
        peer_json = json.loads(out.strip().splitlines()[-1])
        peer = {"samples_per_s": peer_json["samples_per_s"], "test_accuracy": peer_json["test_accuracy"],
                "wall": wall, "torch": peer_json["torch"]}
        raw[batch] = {"ours": ours, "peer": peer}
        print(f"bench: batch {batch}: ours {ours['samples_per_s']:.0f}, peer {peer['samples_per_s']:.0f} "
              f"samples/s", flush=True)

    lines = [
        f"Measured {datetime.date.today().isoformat()} on {gpu_name()} (host {machine()}); "
        f"the original recipe, {args.epochs} epochs per run, one run each; peer: torch "
        f"{raw[batch_sizes[0]]['peer']['torch']}.",
        "",
        "| batch | ours samples/s | peer samples/s | ours / peer | ours ms/step | peer ms/step "
        "| ours test acc | peer test acc | ours wall | peer wall |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for batch in batch_sizes:
        ours, peer = raw[batch]["ours"], raw[batch]["peer"]
        lines.append(
            f"| {batch} | {ours['samples_per_s']:.0f} | {peer['samples_per_s']:.0f} "
            f"| {ours['samples_per_s'] / peer['samples_per_s']:.2f}x "
            f"| {1000 * batch / ours['samples_per_s']:.3f} | {1000 * batch / peer['samples_per_s']:.3f} "
            f"| {100 * ours['test_accuracy']:.2f}% | {100 * peer['test_accuracy']:.2f}% "
            f"| {ours['wall']:.1f} s | {peer['wall']:.1f} s |")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
