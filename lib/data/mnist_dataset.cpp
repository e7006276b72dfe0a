// Loading MNIST into tensors; see mnist_dataset.h.
#include "data/mnist_dataset.h"

#include <cmath>

#include "core/errors.h"
#include "data/mnist_bytes_dataset.h"

namespace mnist {

MnistTensors load_mnist(const std::filesystem::path& data_dir, MnistSplit split, int64_t limit,
                        PixelFormat format) {
  const MnistBytesDataset dataset(data_dir, split);
  MnistTensors tensors{dataset.images(), dataset.labels()};
  if (limit > 0 && limit < tensors.size()) {
    tensors.images = tensors.images.slice(/*dim=*/0, 0, limit).clone();
    tensors.labels = tensors.labels.slice(/*dim=*/0, 0, limit).clone();
  }
  if (format == PixelFormat::kFloat) tensors.images = pixels_in_unit_range(tensors.images);
  return tensors;
}

TrainValidation split_validation(const MnistTensors& all, double fraction) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    throw UsageError("--val-split " + std::to_string(fraction) + ": must be at least 0 and below 1");
  }
  const int64_t total = all.size();
  const auto held_out = static_cast<int64_t>(std::floor(static_cast<double>(total) * fraction));
  if (fraction > 0 && (held_out == 0 || held_out == total)) {
    throw UsageError("--val-split " + std::to_string(fraction) + ": leaves no " +
                     (held_out == 0 ? "validation" : "training") + " examples out of " +
                     std::to_string(total));
  }
  const int64_t kept = total - held_out;
  TrainValidation result;
  result.train = {all.images.slice(0, 0, kept), all.labels.slice(0, 0, kept)};
  if (held_out > 0) result.validation = {all.images.slice(0, kept), all.labels.slice(0, kept)};
  return result;
}

}  // namespace mnist
