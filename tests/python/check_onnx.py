"""The ONNX export judged by ONNX's own checker (Debian's python3-onnx), and OpenCV's answers on it
compared with LibTorch's (Python's torch.jit.load of the TorchScript export of the same training).
Usage:
  check_onnx.py check MODEL.onnx
  check_onnx.py compare MODEL.pt OPENCV_PROBABILITIES.f32 IMAGES_IDX TOLERANCE"""
import json
import struct
import sys

import numpy as np


def check(model_path):
    import onnx
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets == {"": 13}, opsets
    (pixels,), (probabilities,) = model.graph.input, model.graph.output

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
    assert (pixels.name, dims(pixels)) == ("pixels", ["N", 28, 28]), dims(pixels)
    assert (probabilities.name, dims(probabilities)) == ("probabilities", ["N", 10]), dims(probabilities)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["architecture"].startswith("784-") and props["architecture"].endswith("-10"), props
    assert "normalization" in props or "normalisation" in props or "input" in props, sorted(props)
    print(f"onnx {onnx.__version__}: check_model passed; opset 13, pixels [N,28,28] -> probabilities [N,10];"
          f" metadata: {', '.join(sorted(props))}")


def compare(model_path, probabilities_path, images_path, tolerance):
    import torch
    with open(images_path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051 and (rows, cols) == (28, 28)
        images = np.frombuffer(f.read(), dtype=np.uint8).reshape(count, 28, 28).astype("float32") / 255.0
    opencv = np.fromfile(probabilities_path, dtype="<f4").reshape(-1, 10)
    assert opencv.shape[0] == count == 10000, (opencv.shape, count)
    with torch.no_grad():
        libtorch = torch.jit.load(model_path)(torch.from_numpy(images)).numpy()
    diff = float(np.abs(libtorch - opencv).max())
    same = int((libtorch.argmax(1) == opencv.argmax(1)).sum())
    print(f"{count} images: max abs difference {diff:.3g}, same class on {same}")
    assert diff <= float(tolerance), f"max abs difference {diff} > {tolerance}"


if __name__ == "__main__":
    {"check": check, "compare": compare}[sys.argv[1]](*sys.argv[2:])
