"""Loads an exported TorchScript model with Python's torch.jit.load (no project code) and
compares its probabilities with those the C++ side computed on the same inputs.
Usage: check_torchscript.py MODEL.pt INPUTS.f32 EXPECTED.f32 TOLERANCE"""
import sys

import numpy as np
import torch


def main(model_path, inputs_path, expected_path, tolerance):
    model = torch.jit.load(model_path)
    inputs = np.fromfile(inputs_path, dtype="<f4").reshape(-1, 28, 28)
    expected = np.fromfile(expected_path, dtype="<f4").reshape(-1, 10)
    with torch.no_grad():
        actual = model(torch.from_numpy(inputs)).numpy()
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    diff = float(np.abs(actual - expected).max())
    assert diff < float(tolerance), f"max abs difference {diff} >= {tolerance}"
    print(f"OK: max abs difference {diff:.3g}")


if __name__ == "__main__":
    main(*sys.argv[1:])
