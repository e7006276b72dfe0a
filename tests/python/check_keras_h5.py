#!/usr/bin/python3
"""Independent check of our Keras legacy H5 files with h5py and numpy (no Keras needed).

check() reads a file exactly as the Keras loaders do (keras-h5.md, section 10): the same
attributes and decoding, layers in layer_names order, weights by weight_names resolved relative
to the layer group, weightless layers skipped, exact shapes. check_encoding() adds the stricter
portability rules of section 3 (fixed-length NULLPAD ASCII strings, scalar vs 1-D dataspaces,
contiguous unfiltered float32 data). forward() is the Keras model's prediction in numpy.

Usage: check_keras_h5.py FILE [--weights-only] [--forward-input IN.npy --expect-probs EXP.npy
       [--tol 1e-5]]
Prints OK and exits 0 when every check passes; prints the failed check and exits 1 otherwise.
"""
import argparse
import json
import sys

import h5py
import numpy as np

EXPECT = [(784, 300), (300, 100), (100, 10)]


def fixed_str(v, what):        # fixed-length -> numpy.bytes_; variable-length -> str (rejected)
    assert isinstance(v, (bytes, np.bytes_)), f"{what}: not a fixed-length string ({type(v).__name__})"
    return v.decode("utf-8")


def str_list(g, name):         # absent list == empty list, as in the loaders
    if name not in g.attrs:
        return []
    a = g.attrs[name]
    assert isinstance(a, np.ndarray) and a.ndim == 1, f"{g.name}@{name}: must be a 1-D array"
    return [fixed_str(x, f"{g.name}@{name}") for x in a]


def hard_get(g, path, kind):   # '/' in a name means nested groups; hard links only
    for part in path.split("/"):
        assert part and isinstance(g.get(part, getlink=True), h5py.HardLink), f"{g.name}/{part}: missing"
        g = g[part]
    assert isinstance(g, kind), f"{g.name}: not a {kind.__name__}"
    return g


def all_keys(o):
    if isinstance(o, dict):
        for k, v in o.items():
            yield k
            yield from all_keys(v)
    elif isinstance(o, list):
        for v in o:
            yield from all_keys(v)


def check(path, weights_only=False):
    assert path.endswith(".h5") and not path.endswith(".weights.h5"), f"{path}: bad file name"
    with h5py.File(path, "r") as f:
        g = f
        if not weights_only:
            assert "layer_names" not in f.attrs, "/@layer_names must not exist in a full model"
            cfg = json.loads(fixed_str(f.attrs["model_config"], "model_config"))
            if "training_config" in f.attrs:
                json.loads(fixed_str(f.attrs["training_config"], "training_config"))
            c, L = cfg["config"], cfg["config"]["layers"]
            assert cfg["class_name"] == "Sequential" and "name" in c
            assert [l["class_name"] for l in L] == ["InputLayer", "Flatten", "Dense", "Dense", "Dense"]
            assert L[0]["config"].get("batch_input_shape") == [None, 28, 28]
            assert [(l["config"]["units"], l["config"]["activation"]) for l in L[2:]] == \
                   [(300, "relu"), (100, "relu"), (10, "softmax")]
            assert not {"module", "batch_shape", "optional", "registered_name"} & set(all_keys(cfg))
            g = hard_get(f, "model_weights", h5py.Group)
        for o in ([f, g] if g is not f else [f]):
            for k in ("keras_version", "backend"):
                fixed_str(o.attrs[k], f"{o.name}@{k}")
        weighted = []
        for name in str_list(g, "layer_names"):
            lg = hard_get(g, name, h5py.Group)
            ds = [hard_get(lg, w, h5py.Dataset) for w in str_list(lg, "weight_names")]
            if ds:
                weighted.append(ds)
        assert len(weighted) == len(EXPECT), f"{len(weighted)} weighted layers, model has 3"
        params = []
        for ds, (n_in, n_out) in zip(weighted, EXPECT):
            assert [d.shape for d in ds] == [(n_in, n_out), (n_out,)], [d.shape for d in ds]
            assert all(d.dtype == np.dtype("<f4") and not d.external and not d.is_virtual for d in ds)
            params.append(tuple(np.asarray(d) for d in ds))
        return params


def check_encoding(path):
    """Section 3 beyond what the loaders need: every attribute is a fixed-length NULLPAD ASCII
    string (NULLTERM with size == strlen loses a character), scalar or 1-D as its role demands,
    and every dataset is contiguous and unfiltered."""
    scalars = {"model_config", "training_config", "keras_version", "backend"}
    lists = {"layer_names", "weight_names"}
    with h5py.File(path, "r") as f:
        objects = [f]
        f.visititems(lambda _, o: objects.append(o))
        for o in objects:
            for name in o.attrs:
                what = f"{o.name}@{name}"
                attr = h5py.h5a.open(o.id, name.encode())
                t = attr.get_type()
                assert isinstance(t, h5py.h5t.TypeStringID), f"{what}: not a string"
                assert not t.is_variable_str(), f"{what}: variable-length string"
                assert t.get_strpad() == h5py.h5t.STR_NULLPAD, f"{what}: padding is not NULLPAD"
                assert t.get_cset() == h5py.h5t.CSET_ASCII, f"{what}: character set is not ASCII"
                space = attr.get_space()
                kind = space.get_simple_extent_type()
                if name in scalars:
                    assert kind == h5py.h5s.SCALAR, f"{what}: not a scalar"
                elif name in lists:
                    assert kind == h5py.h5s.SIMPLE and space.get_simple_extent_ndims() == 1, f"{what}: not a 1-D array"
                else:
                    raise AssertionError(f"{what}: unexpected attribute")
            if isinstance(o, h5py.Dataset):
                assert o.chunks is None and o.compression is None, f"{o.name}: not contiguous"


def forward(params, x):        # x: (N, 28, 28) float32, preprocessed as in training
    h = x.reshape(len(x), 784)
    for i, (k, b) in enumerate(params):
        h = h @ k + b
        h = np.maximum(h, 0) if i < 2 else np.exp(h - h.max(1, keepdims=True))
    return h / h.sum(1, keepdims=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--weights-only", action="store_true")
    parser.add_argument("--forward-input", help=".npy of shape (N, 28, 28) or (N, 784), float32")
    parser.add_argument("--expect-probs", help=".npy of shape (N, 10): the probabilities to match")
    parser.add_argument("--tol", type=float, default=1e-5)
    args = parser.parse_args()
    if (args.forward_input is None) != (args.expect_probs is None):
        parser.error("--forward-input and --expect-probs go together")
    try:
        params = check(args.file, args.weights_only)
        check_encoding(args.file)
        if args.forward_input is not None:
            x = np.load(args.forward_input).astype(np.float32)
            expected = np.load(args.expect_probs)
            probs = forward(params, x)
            assert probs.shape == expected.shape, f"forward shape {probs.shape}, expected {expected.shape}"
            worst = float(np.max(np.abs(probs - expected)))
            assert worst <= args.tol, f"forward differs from the expected probabilities by {worst:g}"
    except (AssertionError, KeyError, OSError, ValueError) as e:
        print(f"FAIL: {args.file}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
