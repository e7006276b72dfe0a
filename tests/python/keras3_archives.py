"""The real Keras 3 (3.16, numpy backend, from ../shared/keras3) on .keras archives, for
tests/test_keras_archive.cpp: `write` saves a Sequential with seeded random weights as Keras
itself does (model.save) and gives Keras' own probabilities on MNIST test images; `predict` loads
a .keras file with keras.saving.load_model and gives its probabilities. Images go in as raw 0-255
pixels, the seed's contract. Probabilities are written as float32 [count, 10].

The Keras source is extracted by the caller into a temporary folder (--keras-src) and put on the
path with the stand-ins in --stubs; the line "keras <version>" says which Keras judged the file.
Not for: anything the numpy backend cannot do (training).
"""
import argparse
import os
import struct
import sys


def mnist_images(data_dir, count):
    with open(os.path.join(data_dir, "t10k-images-idx3-ubyte"), "rb") as f:
        magic, total, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051 and rows == 28 and cols == 28, "not an MNIST image file"
        data = f.read(count * 784)
    import numpy as np
    return np.frombuffer(data, dtype=np.uint8).reshape(count, 28, 28).astype("float32")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["write", "predict"])
    parser.add_argument("--keras-src", required=True)
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--probs", required=True)
    parser.add_argument("--architecture", choices=["seed", "other"], default="seed")
    args = parser.parse_args()

    os.environ["KERAS_BACKEND"] = "numpy"
    sys.path[:0] = [args.stubs, args.keras_src]
    import numpy as np
    import keras
    print("keras", keras.__version__)

    images = mnist_images(args.data_dir, args.count)
    if args.command == "write":
        layers = keras.layers
        if args.architecture == "seed":
            # The seed's Keras script: Flatten(28x28), Dense 300 relu, 100 relu, 10 softmax.
            model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(300, activation="relu"),
                                      layers.Dense(100, activation="relu"), layers.Dense(10, activation="softmax")])
        else:
            # Another: 784 inputs, tanh, a Dropout between, and logits out.
            model = keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="tanh"), layers.Dropout(0.2),
                                      layers.Dense(32, activation="sigmoid"), layers.Dense(10)])
            images = images.reshape(-1, 784)
        rng = np.random.default_rng(7)
        # Weights that give spread-out answers on raw 0-255 pixels, so that any mistake shows.
        weights = [rng.normal(0, 0.5 / np.sqrt(w.shape[0] * (255 if i == 0 else 1)), w.shape).astype("float32")
                   if w.ndim == 2 else rng.normal(0, 0.1, w.shape).astype("float32")
                   for i, w in enumerate(model.get_weights())]
        model.set_weights(weights)
        model.save(args.model)
        outputs = model.predict(images, verbose=0)
        if args.architecture == "other":
            outputs = keras.ops.convert_to_numpy(keras.activations.softmax(outputs))
    else:
        model = keras.saving.load_model(args.model)
        outputs = model.predict(images, verbose=0)
    np.asarray(outputs, dtype="float32").tofile(args.probs)


if __name__ == "__main__":
    main()
