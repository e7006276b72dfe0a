#!/usr/bin/python3
"""Checks a temperature folded into the exports of mnist-train, with no project code, on all
10,000 MNIST test images:

- CALIBRATED/mnist_mlp.pt through torch.jit.load gives EXPECTED (softmax(logits / T) computed in
  C++ from the in-memory model) within 1e-5, and the same class for every image;
- CALIBRATED's image_recognition.h5 and weights.h5, read with h5py following the Keras layout and
  run in numpy on raw 0-255 pixels, give softmax(v / T) where v is the last layer's output of the
  uncalibrated files in PLAIN (the same model exported with T = 1), within 1e-5, and the classes
  of EXPECTED for every image; only the last Dense layer differs between the two.

Usage: check_calibrated_exports.py CALIBRATED_DIR PLAIN_DIR T TEST_IMAGES_IDX EXPECTED.f32
Prints OK and exits 0 when every check passes; prints the failed check and exits 1.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_keras_h5  # noqa: E402
from check_exports_on_mnist import read_idx_images  # noqa: E402

TOLERANCE = 1e-5


def last_layer_values(params, x):
    """The Keras model's forward in float64 up to the last Dense layer, before the softmax."""
    h = x.reshape(len(x), 784).astype(np.float64)
    for i, (k, b) in enumerate(params):
        h = h @ k.astype(np.float64) + b.astype(np.float64)
        if i + 1 < len(params):
            h = np.maximum(h, 0)
    return h


def softmax(v):
    e = np.exp(v - v.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def check(calibrated_dir, plain_dir, temperature, images_path, expected_path):
    temperature = float(temperature)
    raw = read_idx_images(images_path)
    assert len(raw) == 10000, f"{images_path}: {len(raw)} images"
    expected = np.fromfile(expected_path, dtype="<f4").reshape(-1, 10).astype(np.float64)
    assert expected.shape == (10000, 10), expected.shape
    classes = expected.argmax(1)

    model = torch.jit.load(os.path.join(calibrated_dir, "mnist_mlp.pt"))
    with torch.no_grad():
        torch_probs = model(torch.from_numpy(raw.astype(np.float32) / 255)).double().numpy()
    torch_diff = float(np.abs(torch_probs - expected).max())
    assert torch_diff < TOLERANCE, f"torch.jit.load vs softmax(logits / T): max abs difference {torch_diff:g}"
    assert (torch_probs.argmax(1) == classes).all(), "torch.jit.load changes the class of some images"

    plain = check_keras_h5.check(os.path.join(plain_dir, "image_recognition.h5"))
    h5_diff = 0.0
    for name, weights_only in (("image_recognition.h5", False), ("weights.h5", True)):
        params = check_keras_h5.check(os.path.join(calibrated_dir, name), weights_only=weights_only)
        for i, ((k, b), (k0, b0)) in enumerate(zip(params, plain)):
            if i + 1 < len(params):
                assert np.array_equal(k, k0) and np.array_equal(b, b0), f"{name}: layer {i} changed"
        probs = softmax(last_layer_values(params, raw))
        target = softmax(last_layer_values(plain, raw) / temperature)
        h5_diff = max(h5_diff, float(np.abs(probs - target).max()))
        assert h5_diff < TOLERANCE, f"{name}: vs softmax(plain / T): max abs difference {h5_diff:g}"
        assert (probs.argmax(1) == classes).all(), f"{name}: changes the class of some images"
        # The float32 forward Keras itself would run.
        keras_probs = check_keras_h5.forward(params, raw.astype(np.float32))
        assert (keras_probs.argmax(1) == classes).all(), f"{name}: float32 forward changes classes"
    return torch_diff, h5_diff


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        torch_diff, h5_diff = check(*sys.argv[1:])
    except (AssertionError, KeyError, OSError, ValueError, RuntimeError) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"OK: 10000 test images; torch.jit.load vs softmax(logits / T) max abs difference {torch_diff:.3g}, "
          f"h5 (numpy) vs softmax(uncalibrated / T) {h5_diff:.3g}, same class for every image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
