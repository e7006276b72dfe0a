// A labelled set together with its digits drawn the ways people draw them (image/drawn_variants.h),
// as tensors a model takes: for fitting a temperature on the input the served model will meet, not
// on MNIST alone.
// Not for: measuring a model on the variants (report/model_evaluation.h keeps them apart, with
// what the preparation refused).
#pragma once

#include <cstdint>

#include "data/mnist_dataset.h"

namespace mnist {

// The images of `data` (in either PixelFormat) followed by every `every`-th of them in each drawn
// variant, rendered, encoded and prepared as mnist-serve prepares an upload, in variant order;
// images the preparation refuses are left out. Float images in [0, 1], labels as in `data`.
// Deterministic: the variants' random choices follow each image's index in `data`, as in
// mnist-evaluate --drawn-variants. Throws std::invalid_argument for every < 1.
MnistTensors with_drawn_variants(const MnistTensors& data, int64_t every);

}  // namespace mnist
