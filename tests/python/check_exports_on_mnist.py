#!/usr/bin/python3
"""Loads the files mnist-train exports the way a Python user would, with no project code, and
checks them on all 10,000 MNIST test images:

- mnist_mlp.pt through torch.jit.load, model card included, gives the probabilities the C++ side
  computed with LibTorch (max abs difference < 1e-5);
- image_recognition.h5 and weights.h5, read with h5py following the Keras layout
  (check_keras_h5.check) and run forward in numpy on raw 0-255 pixels (check_keras_h5.forward),
  predict the TorchScript model's class for every image, with probabilities within 1e-4.

Usage: check_exports_on_mnist.py MODEL_DIR TEST_IMAGES_IDX CPP_PROBS.f32
(TEST_IMAGES_IDX: t10k-images-idx3-ubyte, plain or .gz; CPP_PROBS.f32: little-endian float32,
10 per image.) Prints OK and exits 0 when every check passes; prints the failed check and exits 1.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_keras_h5  # noqa: E402  (the spec's reader, next to this file)

TORCH_TOLERANCE = 1e-5
KERAS_TOLERANCE = 1e-4


def read_idx_images(path):
    """Raw uint8 pixels (N, 28, 28) from an IDX image file, read independently of the C++ loader."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    assert len(data) >= 16, f"{path}: shorter than an IDX header"
    magic, count, rows, cols = (int(v) for v in np.frombuffer(data[:16], dtype=">u4"))
    assert (magic, rows, cols) == (0x803, 28, 28), f"{path}: not an MNIST image file"
    assert len(data) == 16 + count * 784, f"{path}: {len(data)} bytes for {count} images"
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 28, 28)


def check(model_dir, images_path, cpp_probs_path):
    raw = read_idx_images(images_path)
    assert len(raw) == 10000, f"{images_path}: {len(raw)} images, expected the 10,000 test images"

    extra_files = {"model_card.json": ""}
    model = torch.jit.load(os.path.join(model_dir, "mnist_mlp.pt"), _extra_files=extra_files)
    card = json.loads(extra_files["model_card.json"])
    assert card["name"] == "mnist_mlp" and card["architecture"] == "784-300-100-10", card
    with torch.no_grad():
        torch_probs = model(torch.from_numpy(raw.astype(np.float32) / 255)).numpy()

    cpp_probs = np.fromfile(cpp_probs_path, dtype="<f4").reshape(-1, 10)
    assert cpp_probs.shape == torch_probs.shape, (cpp_probs.shape, torch_probs.shape)
    torch_diff = float(np.abs(torch_probs - cpp_probs).max())
    assert torch_diff < TORCH_TOLERANCE, f"torch.jit.load vs C++: max abs difference {torch_diff:g}"

    h5_model = os.path.join(model_dir, "image_recognition.h5")
    h5_weights = os.path.join(model_dir, "weights.h5")
    params = check_keras_h5.check(h5_model)
    check_keras_h5.check_encoding(h5_model)
    weights_only = check_keras_h5.check(h5_weights, weights_only=True)
    check_keras_h5.check_encoding(h5_weights)
    for (k, b), (k2, b2) in zip(params, weights_only):
        assert np.array_equal(k, k2) and np.array_equal(b, b2), "weights.h5 differs from image_recognition.h5"

    keras_probs = check_keras_h5.forward(params, raw.astype(np.float32))
    disagree = np.flatnonzero(keras_probs.argmax(1) != torch_probs.argmax(1))
    assert disagree.size == 0, f"h5 and TorchScript predict different classes for images {disagree[:10]}"
    keras_diff = float(np.abs(keras_probs - torch_probs).max())
    assert keras_diff < KERAS_TOLERANCE, f"h5 vs TorchScript: max abs difference {keras_diff:g}"
    return torch_diff, keras_diff


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        torch_diff, keras_diff = check(*sys.argv[1:])
    except (AssertionError, KeyError, OSError, ValueError, RuntimeError) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"OK: 10000 test images; torch.jit.load vs C++ max abs difference {torch_diff:.3g}, "
          f"h5 (numpy, raw pixels) vs TorchScript {keras_diff:.3g}, same class for every image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
