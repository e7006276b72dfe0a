// Augmented epochs prepared one ahead on a background thread; see augmented_epochs.h.
#include "data/augmented_epochs.h"

#include <ATen/ATen.h>

#include <chrono>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>

#include "core/clock.h"
#include "core/mnist_shape.h"
#include "core/seed.h"

namespace mnist {

uint64_t augmentation_seed(uint64_t seed, int64_t epoch) {
  return derive_seed(seed, SeedPurpose::kAugmentation, epoch);
}

AugmentedEpochs::AugmentedEpochs(const MnistTensors& train, const AugmentParams& params,
                                 uint64_t seed, int64_t last_epoch)
    : train_{train.images.to(at::kCPU).contiguous(), train.labels},
      params_(params),
      seed_(seed),
      last_epoch_(last_epoch) {
  if (train_.images.scalar_type() != at::kFloat || train_.images.numel() != train_.size() * kImagePixels) {
    throw std::invalid_argument("AugmentedEpochs: images must be float [N,1,28,28]");
  }
  // Each call transforms one 28x28 image, far too little to share out; OpenCV's own threads
  // would only compete with the trainer for the machine's cores.
  cv::setNumThreads(1);
}

AugmentedEpochs::~AugmentedEpochs() {
  if (pending_.valid()) pending_.wait();
}

at::Tensor AugmentedEpochs::prepare(int64_t epoch) {
  // Allocated here, on the caller's thread; the worker only writes into the buffer.
  at::Tensor images = at::empty_like(train_.images);
  const float* input = train_.images.data_ptr<float>();
  float* output = images.data_ptr<float>();
  const int64_t count = train_.size();
  const AugmentParams params = params_;
  const uint64_t seed = augmentation_seed(seed_, epoch);
  pending_ = std::async(std::launch::async, [=]() {
    const auto start = std::chrono::steady_clock::now();
    augment_images(input, output, count, params, seed);
    return seconds_since(start);
  });
  pending_epoch_ = epoch;
  return images;
}

MnistTensors AugmentedEpochs::epoch(int64_t epoch) {
  const auto start = std::chrono::steady_clock::now();
  const bool ahead = pending_epoch_ == epoch;
  if (!ahead) {
    if (pending_.valid()) seconds_working_ += pending_.get();  // an epoch no longer wanted
    pending_images_ = prepare(epoch);
  } else {
    ++epochs_prepared_ahead_;
  }
  seconds_working_ += pending_.get();  // rethrows what the worker threw
  MnistTensors result{pending_images_, train_.labels};
  pending_epoch_ = 0;
  pending_images_ = at::Tensor();
  const double waited = seconds_since(start);
  seconds_waited_ += waited;
  if (ahead) seconds_waited_ahead_ += waited;
  if (epoch < last_epoch_) pending_images_ = prepare(epoch + 1);
  return result;
}

}  // namespace mnist
