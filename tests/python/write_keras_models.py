#!/usr/bin/python3
"""Writes Keras .h5 models with h5py exactly as Keras itself lays them out, and the numpy answer.

No Keras is needed: the layouts follow ../shared/specs/keras-h5.md section 11 and the writers'
source (tf_keras/saving/legacy/hdf5_format.py, keras/src/legacy/saving/legacy_h5_format.py):

  tf2        tf.keras 2.x model.save("x.h5") after compile and fit: fixed-length strings (h5py
             stores the utf8-encoded bytes Keras passes), InputLayer "flatten_input" with
             batch_input_shape, weight_names "dense/kernel:0", empty weight_names as float64[0],
             training_config and an optimizer_weights group ("Adam/iter:0", "Adam/dense/kernel/m:0").
  tf2-early  TF 2.0-2.2: no InputLayer entry, batch_input_shape on Flatten.
  keras3     Keras 3 legacy H5: variable-length strings, InputLayer "input_layer" with batch_shape,
             dtype policies as objects, module/registered_name keys, weight paths
             "sequential/dense/kernel", optimizer_weights "adam/iteration", ...
  weights    tf.keras 2 save_weights("x.h5"): the weights group at the root, no model_config.

The weights are a working classifier, so that accuracies mean something: hidden layers drawn
Glorot-uniform (the first scaled for raw 0-255 pixels), the last layer fitted by least squares
on the hidden features of the first 2000 training images. The answer is numpy's forward pass on
the first N test images, raw 0-255 pixels (or /255 with --input-range 1).

Usage: write_keras_models.py --layout tf2|tf2-early|keras3|weights --hidden 300,100 --out M.h5
       --data-dir DIR --count N --probs P.f32 --summary S.json [--input-range 255|1]
       [--split-layer-names] [--seed 1] [--defect NAME]
--defect writes a broken model instead, one defect each (see DEFECTS). P.f32 holds the probabilities as little-endian float32 [N, 10]; S.json the accuracy and mean
cross-entropy on those N images.
"""
import argparse
import gzip
import json
import os

import h5py
import numpy as np


def read_idx(path):
    opener = gzip.open if not os.path.exists(path) and os.path.exists(path + ".gz") else open
    with opener(path if opener is open else path + ".gz", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def forward(params, activations, x):
    h = x.reshape(len(x), 784).astype(np.float32)
    for (k, b), act in zip(params, activations):
        h = h @ k + b
        if act == "relu":
            h = np.maximum(h, 0)
        elif act == "tanh":
            h = np.tanh(h)
        elif act == "sigmoid":
            h = 1 / (1 + np.exp(-h))
        elif act == "softmax":
            e = np.exp(h - h.max(1, keepdims=True))
            h = e / e.sum(1, keepdims=True)
    return h


def make_weights(hidden, activation, scale, train_x, train_y, rng):
    sizes = [784] + hidden
    params = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        limit = np.sqrt(6 / (n_in + n_out))
        k = rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        if i == 0:
            k /= scale
        params.append((k, rng.uniform(-0.05, 0.05, n_out).astype(np.float32)))
    features = forward(params, [activation] * len(hidden), train_x).astype(np.float64)
    features = np.hstack([features, np.ones((len(features), 1))])
    targets = 8.0 * np.eye(10)[train_y] - 4.0
    solution = np.linalg.solve(features.T @ features + 1e-2 * np.eye(features.shape[1]), features.T @ targets)
    params.append((solution[:-1].astype(np.float32), solution[-1].astype(np.float32)))
    return params


def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def dense_config(name, units, activation, keras3):
    cfg = {"name": name, "trainable": True, "dtype": dtype_policy() if keras3 else "float32", "units": units,
           "activation": activation, "use_bias": True,
           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
           "bias_initializer": {"class_name": "Zeros", "config": {}},
           "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
           "kernel_constraint": None, "bias_constraint": None}
    if keras3:
        for key in ("kernel_initializer", "bias_initializer"):
            cfg[key].update({"module": "keras.initializers", "registered_name": None})
        cfg["quantization_config"] = None
    return cfg


def model_config(layout, names, hidden, activations):
    keras3 = layout == "keras3"
    layers = []
    if layout == "tf2":
        layers.append({"class_name": "InputLayer", "config": {"batch_input_shape": [None, 28, 28], "dtype": "float32",
                                                              "sparse": False, "ragged": False, "name": "flatten_input"}})
    elif keras3:
        layers.append({"module": "keras.layers", "class_name": "InputLayer",
                       "config": {"batch_shape": [None, 28, 28], "dtype": "float32", "sparse": False,
                                  "ragged": False, "name": "input_layer", "optional": False}, "registered_name": None})
    flatten = {"name": "flatten", "trainable": True, "dtype": dtype_policy() if keras3 else "float32",
               "data_format": "channels_last"}
    if layout in ("tf2", "tf2-early"):
        flatten["batch_input_shape"] = [None, 28, 28]
    layers.append({"class_name": "Flatten", "config": flatten})
    for name, units, act in zip(names[1:], hidden + [10], activations):
        layers.append({"class_name": "Dense", "config": dense_config(name, units, act, keras3)})
    if keras3:
        for layer in layers[1:]:
            layer.update({"module": "keras.layers", "registered_name": None})
        layers[1]["build_config"] = {"input_shape": [None, 28, 28]}
        return {"module": "keras", "class_name": "Sequential",
                "config": {"name": "sequential", "trainable": True, "dtype": dtype_policy(), "layers": layers,
                           "build_input_shape": [None, 28, 28]}, "registered_name": None}
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}


TRAINING_CONFIG = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": None,
                   "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
                       "name": "Adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
                       "amsgrad": False}}}


def text(value, keras3):
    # tf.keras 2 hands h5py utf8 bytes (fixed-length strings); Keras 3 hands str (variable-length).
    return value if keras3 else value.encode("utf8")


def save_list(group, name, items, keras3, split):
    # save_attributes_to_hdf5_group: np.asarray of the items; [] becomes float64[0].
    values = [text(v, keras3) for v in items]
    array = np.asarray(values, dtype=h5py.string_dtype() if keras3 and values else None)
    if split and len(values) > 1:
        half = (len(values) + 1) // 2
        for i, chunk in enumerate((array[:half], array[half:])):
            group.attrs[f"{name}{i}"] = chunk
    else:
        group.attrs[name] = array


def write_weights(group, layout, names, params, split):
    keras3 = layout == "keras3"
    save_list(group, "layer_names", names, keras3, split)
    group.attrs["backend"] = text("tensorflow", keras3)
    group.attrs["keras_version"] = text("3.16.0" if keras3 else "2.15.0", keras3)
    group.create_group(names[0])
    save_list(group[names[0]], "weight_names", [], keras3, False)
    for name, (k, b) in zip(names[1:], params):
        g = group.create_group(name)
        prefix = f"sequential/{name}/" if keras3 else f"{name}/"
        suffix = "" if keras3 else ":0"
        weight_names = [prefix + "kernel" + suffix, prefix + "bias" + suffix]
        save_list(g, "weight_names", weight_names, keras3, False)
        for weight_name, value in zip(weight_names, (k, b)):
            g.create_dataset(weight_name, data=value)


def write_optimizer(f, layout, names, params):
    keras3 = layout == "keras3"
    g = f.create_group("optimizer_weights")
    weights = [("adam/iteration" if keras3 else "Adam/iter:0", np.array(1875, np.int64))]
    if keras3:
        weights.append(("adam/learning_rate", np.array(0.001, np.float32)))
    for moment in ("m", "v"):
        for name, (k, b) in zip(names[1:], params):
            for var, value in (("kernel", k), ("bias", b)):
                key = (f"adam/sequential_{name}_{var}_{'momentum' if moment == 'm' else 'velocity'}" if keras3
                       else f"Adam/{name}/{var}/{moment}:0")
                weights.append((key, np.full(value.shape, 1e-4, np.float32)))
    save_list(g, "weight_names", [w for w, _ in weights], keras3, False)
    for name, value in weights:
        g.create_dataset(name, data=value)


DEFECTS = ["conv2d", "functional", "missing-weight", "missing-layer-weights", "extra-weight", "no-chain",
           "input-32", "not-keras", "activation-last"]


def break_model(path, defect, layout):
    """Edits a written model so that it has exactly one defect."""
    w = "" if layout == "keras3" else ":0"
    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        layers = cfg["config"]["layers"]
        if defect == "conv2d":
            layers.insert(1, {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 8, "kernel_size": [3, 3]}})
        elif defect == "functional":
            cfg = {"class_name": "Functional", "config": {"name": "model", "layers": layers,
                                                          "input_layers": [["input_1", 0, 0]],
                                                          "output_layers": [["dense_2", 0, 0]]}}
        elif defect == "missing-weight":
            prefix = "model_weights/dense_1/" + ("sequential/dense_1" if layout == "keras3" else "dense_1")
            del f[prefix + "/bias" + w]
        elif defect == "missing-layer-weights":
            g = f["model_weights"]
            names = [n for n in g.attrs["layer_names"] if (n.decode() if isinstance(n, bytes) else n) != "dense_2"]
            g.attrs["layer_names"] = np.asarray(names)
            del g["dense_2"]
        elif defect == "extra-weight":
            g = f["model_weights/dense"]
            names = list(g.attrs["weight_names"]) + [("dense/extra" + w).encode()]
            g.attrs["weight_names"] = np.asarray(names)
            g.create_dataset("dense/extra" + w, data=np.zeros(3, np.float32))
        elif defect == "no-chain":
            g = f["model_weights/dense_1/dense_1"]
            del g["kernel" + w]
            g.create_dataset("kernel" + w, data=np.zeros((50, 100), np.float32))
        elif defect == "input-32":
            layers[0]["config"]["batch_input_shape"] = [None, 32, 32]
        elif defect == "activation-last":
            layers[-1]["config"]["activation"] = "tanh"
        f.attrs["model_config"] = json.dumps(cfg).encode()
    if defect == "not-keras":
        with h5py.File(path, "w") as f:
            f.create_dataset("images", data=np.zeros((2, 28, 28), np.uint8))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", required=True, choices=["tf2", "tf2-early", "keras3", "weights"])
    parser.add_argument("--hidden", default="300,100")
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--out", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--probs")
    parser.add_argument("--summary")
    parser.add_argument("--input-range", type=int, default=255, choices=[255, 1])
    parser.add_argument("--split-layer-names", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--defect", choices=DEFECTS)
    args = parser.parse_args()

    hidden = [int(v) for v in args.hidden.split(",")]
    scale = 255.0 if args.input_range == 255 else 1.0
    rng = np.random.default_rng(args.seed)
    train_x = read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte"))[:2000].astype(np.float32)
    train_y = read_idx(os.path.join(args.data_dir, "train-labels-idx1-ubyte"))[:2000]
    train_x = train_x / (255.0 / scale)
    params = make_weights(hidden, args.activation, scale, train_x, train_y, rng)
    activations = [args.activation] * len(hidden) + ["softmax"]
    names = ["flatten"] + ["dense" if i == 0 else f"dense_{i}" for i in range(len(hidden) + 1)]

    with h5py.File(args.out, "w") as f:
        if args.layout == "weights":
            write_weights(f, "tf2", names, params, args.split_layer_names)
        else:
            keras3 = args.layout == "keras3"
            f.attrs["backend"] = text("tensorflow", keras3)
            f.attrs["keras_version"] = text("3.16.0" if keras3 else "2.15.0", keras3)
            f.attrs["model_config"] = text(json.dumps(model_config(args.layout, names, hidden, activations)), keras3)
            f.attrs["training_config"] = text(json.dumps(TRAINING_CONFIG), keras3)
            write_weights(f.create_group("model_weights"), args.layout, names, params, args.split_layer_names)
            write_optimizer(f, args.layout, names, params)
    if args.defect:
        break_model(args.out, args.defect, args.layout)

    test_x = read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte"))[:args.count].astype(np.float32)
    test_y = read_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte"))[:args.count]
    probs = forward(params, activations, test_x / (255.0 / scale))
    if args.probs:
        probs.astype("<f4").tofile(args.probs)
    if args.summary:
        loss = float(-np.log(np.maximum(probs[np.arange(len(test_y)), test_y].astype(np.float64), 1e-12)).mean())
        with open(args.summary, "w") as f:
            json.dump({"count": int(len(test_y)), "accuracy": float((probs.argmax(1) == test_y).mean()),
                       "loss": loss}, f)
    print("OK")


if __name__ == "__main__":
    main()
