"""The benchmark's peer: mnist-train's recipe as a plain PyTorch loop in Python.

Same model (normalisation, 784-300-100-10, ReLU), Glorot-uniform weights and zero biases,
torch.optim.Adam, cross-entropy on logits, float32, a fresh random order each epoch, batches
gathered from one tensor holding the whole training set, running loss and accuracy kept on the
device without a sync per step, and the same thread count. Written the way a careful PyTorch
user would write it, so that the comparison is with good Python, not with a straw man.

    peer_train.py --data-dir DIR --batch-size N --epochs E --threads T [--seed S]
    peer_train.py --sgemm-rate --threads T

Prints one JSON object: training samples/s over the training time, test accuracy, and so on;
with --sgemm-rate, the single-precision matrix-product rate in FLOP/s.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch


def read_idx(path, magic):
    with open(path, "rb") as f:
        data = f.read()
    if int.from_bytes(data[0:4], "big") != magic:
        sys.exit(f"{path}: not an IDX file with magic {magic:#x}")
    count = int.from_bytes(data[4:8], "big")
    if magic == 0x803:
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)


def load(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte"), 0x803)
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte"), 0x801)
    return (torch.from_numpy(images.copy()).float().div_(255),
            torch.from_numpy(labels.astype(np.int64)))


class Normalize(torch.nn.Module):
    def __init__(self, mean=0.1307, std=0.3081):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))

    def forward(self, x):
        return (x - self.mean) / self.std


def build_model():
    layers = [Normalize(), torch.nn.Flatten()]
    sizes = [784, 300, 100, 10]
    for i in range(3):
        linear = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train(args):
    torch.manual_seed(args.seed)
    train_images, train_labels = load(args.data_dir, "train")
    test_images, test_labels = load(args.data_dir, "t10k")
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    count = train_images.shape[0]
    generator = torch.Generator().manual_seed(args.seed)
    train_seconds = 0.0
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(count, generator=generator)
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.int64)
        for begin in range(0, count, args.batch_size):
            indices = order[begin:begin + args.batch_size]
            images = train_images.index_select(0, indices)
            labels = train_labels.index_select(0, indices)
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach().double() * indices.shape[0]
                correct += (logits.argmax(1) == labels).sum()
        train_accuracy = correct.item() / count
        train_seconds += time.perf_counter() - start
    model.eval()
    with torch.inference_mode():
        test_accuracy = (model(test_images).argmax(1) == test_labels).double().mean().item()
    return {
        "samples_per_s": args.epochs * count / train_seconds,
        "train_seconds": train_seconds,
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
    }


def sgemm_rate(repeats=20, size=1024):
    """FLOP/s of float32 matrix products big enough to run at the BLAS's best rate."""
    a = torch.rand(size, size)
    b = torch.rand(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)  # warm up: thread pool, page faults
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return {"sgemm_flops": 2.0 * size ** 3 / best}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data/mnist")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sgemm-rate", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = sgemm_rate() if args.sgemm_rate else train(args)
    result["threads"] = torch.get_num_threads()
    result["torch"] = torch.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
