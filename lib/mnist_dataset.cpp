// Loading MNIST into tensors; see mnist_dataset.h.
#include "mnist_dataset.h"

#include <torch/data/datasets/mnist.h>

#include <cmath>

#include "errors.h"

namespace mnist {

MnistTensors load_mnist(const std::filesystem::path& data_dir, MnistSplit split, int64_t limit) {
  const PreparedMnistDir prepared(data_dir, split);
  const auto mode = split == MnistSplit::kTrain ? torch::data::datasets::MNIST::Mode::kTrain
                                                : torch::data::datasets::MNIST::Mode::kTest;
  try {
    torch::data::datasets::MNIST dataset(prepared.root().string(), mode);
    MnistTensors tensors{dataset.images(), dataset.targets()};
    if (limit > 0 && limit < tensors.size()) {
      tensors.images = tensors.images.slice(/*dim=*/0, 0, limit).clone();
      tensors.labels = tensors.labels.slice(/*dim=*/0, 0, limit).clone();
    }
    return tensors;
  } catch (const c10::Error& e) {
    throw RuntimeError((data_dir / mnist_images_name(split)).string() +
                       ": LibTorch could not read the MNIST files: " + one_line(e.what_without_backtrace()));
  }
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
