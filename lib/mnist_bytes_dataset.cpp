// Reading validated MNIST IDX files into byte tensors; see mnist_bytes_dataset.h.
#include "mnist_bytes_dataset.h"

#include <ATen/ops/empty.h>

#include <fstream>

#include "errors.h"

namespace mnist {
namespace {

constexpr std::streamoff kImagesHeaderBytes = 16;
constexpr std::streamoff kLabelsHeaderBytes = 8;
constexpr int64_t kSide = 28;  // validate_mnist_pair accepts nothing else

// `bytes` bytes after the header of `path` into `destination`. The file was validated, so a
// failure here means it changed or could not be read since.
void read_body(const std::filesystem::path& path, std::streamoff header, void* destination,
               int64_t bytes) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(header);
  if (!in.read(static_cast<char*>(destination), static_cast<std::streamsize>(bytes))) {
    throw RuntimeError(path.string() + ": could not read " + std::to_string(bytes) +
                       " bytes of examples (the file changed while it was read?)");
  }
}

}  // namespace

MnistBytesDataset::MnistBytesDataset(const std::filesystem::path& data_dir, MnistSplit split) {
  const PreparedMnistDir prepared(data_dir, split);
  const int64_t count = prepared.count();
  images_ = at::empty({count, 1, kSide, kSide}, at::kByte);
  read_body(prepared.root() / mnist_images_name(split), kImagesHeaderBytes, images_.data_ptr(),
            count * kSide * kSide);
  auto label_bytes = at::empty({count}, at::kByte);
  read_body(prepared.root() / mnist_labels_name(split), kLabelsHeaderBytes, label_bytes.data_ptr(),
            count);
  labels_ = label_bytes.to(at::kLong);
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
