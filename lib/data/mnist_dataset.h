// MNIST as tensors, read through LibTorch's dataset API (mnist_bytes_dataset.h) after
// idx_files.h has checked the files. Not for: batching or shuffling (the trainer).
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>

#include "data/idx_files.h"

namespace mnist {

enum class PixelFormat {
  kFloat,  // float32 in [0, 1]: what the model takes
  kBytes,  // uint8 0..255 as stored, a quarter of the memory; see pixels_in_unit_range
};

struct MnistTensors {
  at::Tensor images;  // [N, 1, 28, 28] in one of the PixelFormats
  at::Tensor labels;  // [N] int64, 0..9
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// Reads one split from data_dir (plain IDX files or their .gz). limit > 0 keeps only the first
// `limit` examples, for quick runs and tests. Throws RuntimeError naming the bad file.
MnistTensors load_mnist(const std::filesystem::path& data_dir, MnistSplit split, int64_t limit = 0,
                        PixelFormat format = PixelFormat::kFloat);

struct TrainValidation {
  MnistTensors train;
  MnistTensors validation;  // empty when the fraction is 0
};

// The fraction of the training images held out when a run calibrates without --val-split: what
// --val-split 0.1 would hold out, so the weights are those of a --val-split 0.1 run. Never
// trained on by the recipes that calibrate, these images are also the ones to choose between such
// models on (mnist-evaluate --split holdout), leaving the test set for the report.
inline constexpr double kCalibrationHoldout = 0.1;

// Holds out the last `fraction` of the examples, as Keras' validation_split does.
// Throws UsageError naming --val-split when the fraction is outside [0, 1) or leaves a side empty.
TrainValidation split_validation(const MnistTensors& all, double fraction);

}  // namespace mnist
