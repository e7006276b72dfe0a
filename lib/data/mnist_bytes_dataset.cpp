// MNIST IDX files into byte tensors; see mnist_bytes_dataset.h.
#include "data/mnist_bytes_dataset.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>

#include <vector>

#include "core/mnist_shape.h"

namespace mnist {

MnistBytesDataset::MnistBytesDataset(const std::filesystem::path& data_dir, MnistSplit split) {
  std::vector<uint8_t> labels = read_mnist_split(data_dir, split, [&](int64_t count) {
    images_ = at::empty({count, 1, kImageSide, kImageSide}, at::kByte);
    return images_.data_ptr<uint8_t>();
  });
  labels_ = at::from_blob(labels.data(), {static_cast<int64_t>(labels.size())}, at::kByte).to(at::kLong);
}

torch::data::Example<> MnistBytesDataset::get(size_t index) {
  const auto i = static_cast<int64_t>(index);
  return {pixels_in_unit_range(images_[i]), labels_[i]};
}

torch::optional<size_t> MnistBytesDataset::size() const {
  return static_cast<size_t>(labels_.size(0));
}

at::Tensor pixels_in_unit_range(const at::Tensor& images) {
  if (images.scalar_type() != at::kByte) return images;
  return images.to(at::kFloat).div_(255);
}

}  // namespace mnist
