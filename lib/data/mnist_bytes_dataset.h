// MNIST as a LibTorch dataset that keeps the pixels as the files store them, one byte each.
// LibTorch's own torch::data::datasets::MNIST converts the whole split to float32 on load: 188 MB
// for the training set, plus the 47 MB it read, all at once. This one holds 47 MB and converts
// an example, or a batch, when it is used, to exactly the floats LibTorch's reader gives
// (byte / 255). data/idx_files.h checks and reads the files.
// Not for: batching for training (the trainer gathers batches from images()).
#pragma once

#include <torch/data/datasets/base.h>
#include <torch/data/example.h>

#include <cstddef>
#include <filesystem>

#include "data/idx_files.h"

namespace mnist {

class MnistBytesDataset : public torch::data::datasets::Dataset<MnistBytesDataset> {
 public:
  // Reads one split from data_dir (plain IDX files or their .gz). Throws RuntimeError naming the
  // bad file.
  MnistBytesDataset(const std::filesystem::path& data_dir, MnistSplit split);

  // Example `index`: float pixels [1, 28, 28] in [0, 1] and its int64 label.
  torch::data::Example<> get(size_t index) override;
  torch::optional<size_t> size() const override;

  const at::Tensor& images() const { return images_; }  // [N, 1, 28, 28] uint8, 0..255
  const at::Tensor& labels() const { return labels_; }  // [N] int64, 0..9

 private:
  at::Tensor images_;
  at::Tensor labels_;
};

// Pixels as the model takes them: float32 in [0, 1]; uint8 images are divided by 255 (exactly
// as LibTorch's MNIST reader does), float ones are returned as they are.
at::Tensor pixels_in_unit_range(const at::Tensor& images);

}  // namespace mnist
