"""Recomputes what mnist-evaluate reported, independently of the project's code: reads the MNIST
test IDX files with numpy, runs the model with Python's torch.jit.load, and compares the
confusion matrix, accuracy, its standard error, the loss, per-class precision, recall and F1, and
the calibration figures (mean confidence, ECE over 15 equal-width bins, the reliability bins and
the coverage table) with metrics.json.
Usage: check_evaluation.py MODEL.pt DATA_DIR LIMIT METRICS.json"""
import gzip
import json
import os
import sys

import numpy as np
import torch


def read_idx(data_dir, name):
    path = os.path.join(data_dir, name)
    if os.path.exists(path):
        with open(path, "rb") as f:
            raw = f.read()
    else:
        with gzip.open(path + ".gz", "rb") as f:
            raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main(model_path, data_dir, limit, metrics_path):
    limit = int(limit)
    images = read_idx(data_dir, "t10k-images-idx3-ubyte")[:limit].astype(np.float32) / 255.0
    labels = read_idx(data_dir, "t10k-labels-idx1-ubyte")[:limit].astype(np.int64)
    model = torch.jit.load(model_path)
    with torch.no_grad():
        probabilities = model(torch.from_numpy(images).reshape(-1, 1, 28, 28)).double().numpy()
    predicted = probabilities.argmax(axis=1)

    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    n = len(labels)
    accuracy = np.trace(confusion) / n
    standard_error = np.sqrt(accuracy * (1 - accuracy) / n)
    loss = float(np.mean(-np.log(np.clip(probabilities[np.arange(n), labels], 1e-12, None))))
    diagonal = np.diag(confusion).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(diagonal / confusion.sum(axis=0))
        recall = np.nan_to_num(diagonal / confusion.sum(axis=1))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))

    with open(metrics_path) as f:
        metrics = json.load(f)
    assert metrics["count"] == n, (metrics["count"], n)
    assert np.array_equal(np.array(metrics["confusion_matrix"]), confusion), "confusion matrices differ"
    assert abs(metrics["accuracy"] - accuracy) < 1e-12, (metrics["accuracy"], accuracy)
    assert abs(metrics["accuracy_standard_error"] - standard_error) < 1e-12
    assert abs(metrics["loss"] - loss) < 1e-5, (metrics["loss"], loss)
    for c, row in enumerate(metrics["per_class"]):
        assert row["label"] == c
        assert row["support"] == confusion[c].sum()
        for key, expected in (("precision", precision[c]), ("recall", recall[c]), ("f1", f1[c])):
            assert abs(row[key] - expected) < 1e-12, (c, key, row[key], expected)
    assert abs(metrics["macro_average"]["f1"] - f1.mean()) < 1e-12
    off_diagonal = confusion - np.diag(np.diag(confusion))
    if metrics["most_confused"]:
        top = metrics["most_confused"][0]
        assert top["count"] == off_diagonal.max(), (top, off_diagonal.max())
        assert off_diagonal[top["truth"], top["predicted"]] == top["count"]
    confidence = probabilities.max(axis=1)
    correct = predicted == labels
    bins = np.clip(np.ceil(confidence * 15).astype(np.int64) - 1, 0, 14)
    ece = 0.0
    calibration = metrics["calibration"]
    assert calibration["bin_count"] == 15 and len(calibration["reliability"]) == 15
    for b in range(15):
        in_bin = bins == b
        row = calibration["reliability"][b]
        assert row["count"] == in_bin.sum(), (b, row, in_bin.sum())
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            ece += in_bin.sum() / n * gap
            assert abs(row["accuracy"] - correct[in_bin].mean()) < 1e-12, (b, row)
    assert abs(metrics["mean_confidence"] - confidence.mean()) < 1e-9, (metrics["mean_confidence"], confidence.mean())
    assert abs(metrics["expected_calibration_error"] - ece) < 1e-9, (metrics["expected_calibration_error"], ece)
    for point in calibration["coverage"]:
        answered = confidence >= point["threshold"]
        assert point["answered"] == answered.sum(), point
        if answered.any():
            assert abs(point["accuracy"] - correct[answered].mean()) < 1e-12, point
    print(f"OK: {n} images, accuracy {accuracy:.4f}, loss {loss:.5f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
