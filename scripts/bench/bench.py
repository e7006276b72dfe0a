"""Training and inference speed of this project beside a plain PyTorch-Python loop and the
hardware's floor. Run through scripts/bench.sh, which builds first; see the README's
"Performance" section for what each column means.

Each round runs every contender once, alternating, so that a noisy machine hurts all alike;
the table shows medians over the rounds. Peak RSS is the whole process's, from wait4.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer_train.py")

# Multiply-adds of one sample through 784-300-100-10: forward, then backward, which needs the
# weight gradient of every layer and the input gradient of every layer but the first.
LAYERS = [(784, 300), (300, 100), (100, 10)]
FORWARD_FLOPS = 2 * sum(i * o for i, o in LAYERS)
TRAIN_FLOPS = FORWARD_FLOPS + 2 * sum(i * o for i, o in LAYERS) + 2 * sum(i * o for i, o in LAYERS[1:])
TRAIN_IMAGES = 60000
TEST_IMAGES = 10000


def run(command, env=None):
    """(stdout, wall seconds, peak RSS in MB) of a child process; exits on failure."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed ({process.returncode}):\n{stderr.decode()}")
    return stdout.decode(), wall, usage.ru_maxrss / 1024.0


def number_before(pattern, text, what):
    match = re.search(pattern, text)
    if not match:
        sys.exit(f"bench: no {what} in:\n{text}")
    return float(match.group(1))


def write_png(path, pixels, side=28):
    """A grayscale PNG without any imaging library (the peer's Python has none)."""
    rows = b"".join(b"\x00" + bytes(pixels[r * side:(r + 1) * side]) for r in range(side))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def first_test_image(data_dir):
    with open(os.path.join(data_dir, "t10k-images-idx3-ubyte"), "rb") as f:
        f.seek(16)
        return f.read(28 * 28)


def median(values):
    return statistics.median(values)


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    blas = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"OpenBLAS environment: {blas if blas else 'not set'}")


def main():
    parser = argparse.ArgumentParser(description="training and inference speed")
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--data-dir", default="data/mnist")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-sizes", default="32,128,1024")
    parser.add_argument("--json", help="also write the raw measurements here")
    args = parser.parse_args()

    train_binary = os.path.join(args.build_dir, "app", "mnist-train")
    evaluate_binary = os.path.join(args.build_dir, "app", "mnist-evaluate")
    predict_binary = os.path.join(args.build_dir, "app", "mnist-predict")
    bare_binary = os.path.join(args.build_dir, "bench-consumer", "classify_digit")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    threads = str(args.threads)
    work = tempfile.mkdtemp(prefix="mnist-bench-")
    raw = {"train": {}, "sgemm": [], "evaluate": [], "predict": [], "bare": []}

    def sgemm():
        out, _, _ = run([args.python, PEER, "--sgemm-rate", "--threads", threads])
        raw["sgemm"].append(json.loads(out)["sgemm_flops"])

    print(f"bench: {machine()}; {args.rounds} rounds, {args.epochs} epochs per training run, "
          f"{threads} thread(s)", flush=True)
    for round_index in range(args.rounds):
        sgemm()
        for batch in batch_sizes:
            rows = raw["train"].setdefault(batch, {"ours": [], "peer": []})
            out_dir = os.path.join(work, f"train-{batch}")
            out, wall, rss = run([train_binary, "--data-dir", args.data_dir, "--out-dir", out_dir,
                                  "--epochs", str(args.epochs), "--batch-size", str(batch),
                                  "--recipe", "original", "--lr-schedule", "constant", "--threads", threads,
                                  "--seed", str(round_index + 1)])
            rows["ours"].append({
                "samples_per_s": number_before(r"([0-9.]+) samples/s", out, "samples/s"),
                "test_accuracy": number_before(r"test accuracy ([0-9.]+)", out, "test accuracy"),
                "wall": wall, "rss_mb": rss})
            out, wall, rss = run([args.python, PEER, "--data-dir", args.data_dir,
                                  "--batch-size", str(batch), "--epochs", str(args.epochs),
                                  "--threads", threads, "--seed", str(round_index + 1)])
            peer = json.loads(out)
            rows["peer"].append({"samples_per_s": peer["samples_per_s"],
                                 "test_accuracy": peer["test_accuracy"], "wall": wall, "rss_mb": rss})
            print(f"bench: round {round_index + 1} batch {batch}: ours "
                  f"{rows['ours'][-1]['samples_per_s']:.0f}, peer {peer['samples_per_s']:.0f} samples/s",
                  flush=True)
        model = os.path.join(work, f"train-{batch_sizes[0]}", "mnist_mlp.pt")
        out, _, _ = run([evaluate_binary, "--model", model, "--data-dir", args.data_dir,
                         "--out", os.path.join(work, "evaluate", "confusion.png")])
        raw["evaluate"].append(number_before(r"([0-9.]+) images/s", out, "images/s"))
        png = os.path.join(work, "digit.png")
        write_png(png, first_test_image(args.data_dir))
        for _ in range(5):
            _, wall, _ = run([predict_binary, "--model", model, png])
            raw["predict"].append(wall)
            _, wall, _ = run([bare_binary, model, os.path.join(args.data_dir, "t10k-images-idx3-ubyte")])
            raw["bare"].append(wall)
    sgemm()

    flops = median(raw["sgemm"])
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}; "
        f"{args.threads} thread(s), medians of {args.rounds} rounds, {args.epochs} epochs per run.",
        f"sgemm rate: {flops / 1e9:.1f} GFLOP/s; floor = {TRAIN_FLOPS / 1e6:.3f} MFLOP per "
        f"training sample / sgemm rate.",
        "",
        "| batch | ours samples/s | peer samples/s | ours / peer | floor samples/s | ours time / floor "
        "| ours test acc | peer test acc | ours peak RSS | peer peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    floor_rate = flops / TRAIN_FLOPS
    for batch in batch_sizes:
        ours = raw["train"][batch]["ours"]
        peer = raw["train"][batch]["peer"]
        ours_rate = median([r["samples_per_s"] for r in ours])
        peer_rate = median([r["samples_per_s"] for r in peer])
        lines.append(
            f"| {batch} | {ours_rate:.0f} | {peer_rate:.0f} | {ours_rate / peer_rate:.2f}x "
            f"| {floor_rate:.0f} | {floor_rate / ours_rate:.2f}x "
            f"| {100 * median([r['test_accuracy'] for r in ours]):.2f}% "
            f"| {100 * median([r['test_accuracy'] for r in peer]):.2f}% "
            f"| {median([r['rss_mb'] for r in ours]):.0f} MB | {median([r['rss_mb'] for r in peer]):.0f} MB |")
    evaluate_rate = median(raw["evaluate"])
    evaluate_floor = flops / FORWARD_FLOPS
    predict = median(raw["predict"])
    bare = median(raw["bare"])
    lines += [
        "",
        f"Evaluation of the {TEST_IMAGES} test images: {evaluate_rate:.0f} images/s, floor "
        f"{evaluate_floor:.0f} images/s (ours takes {evaluate_floor / evaluate_rate:.2f}x the floor's time).",
        f"mnist-predict on one image, start to answer: {1000 * predict:.0f} ms; a bare LibTorch "
        f"program that loads the model and classifies one image: {1000 * bare:.0f} ms "
        f"(ratio {predict / bare:.2f}).",
    ]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
