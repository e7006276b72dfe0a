// Augmented epochs prepared one ahead on a background thread; see augmented_epochs.h.
#include "data/augmented_epochs.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>

#include "core/clock.h"
#include "core/mnist_shape.h"
#include "core/seed.h"

namespace mnist {

// Small enough that the thread finishing last waits little for the other's chunk in hand (256
// images: tens of milliseconds), large enough that handing chunks out costs nothing measurable.
constexpr int64_t kChunkImages = 256;

struct AugmentedEpochs::Work {
  const float* input;
  float* output;
  int64_t count;
  AugmentParams params;
  uint64_t seed;
  std::atomic<int64_t> next{0};  // the first image not yet handed out

  // Transforms chunks until none is left; the seconds it took.
  double run() {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t first = next.fetch_add(kChunkImages); first < count; first = next.fetch_add(kChunkImages)) {
      const int64_t size = std::min(kChunkImages, count - first);
      augment_images(input + first * kImagePixels, output + first * kImagePixels, size, params, seed, first);
    }
    return seconds_since(start);
  }
};

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

AugmentedEpochs::~AugmentedEpochs() { cancel_pending(); }

at::Tensor AugmentedEpochs::prepare(int64_t epoch) {
  // Allocated here, on the caller's thread; the worker only writes into the buffer.
  at::Tensor images = at::empty_like(train_.images);
  auto work = std::make_shared<Work>();
  work->input = train_.images.data_ptr<float>();
  work->output = images.data_ptr<float>();
  work->count = train_.size();
  work->params = params_;
  work->seed = augmentation_seed(seed_, epoch);
  pending_work_ = work;
  pending_ = std::async(std::launch::async, [work]() { return work->run(); });
  pending_epoch_ = epoch;
  return images;
}

double AugmentedEpochs::finish_pending() {
  double helping = 0;
  try {
    helping = pending_work_->run();
  } catch (...) {
    cancel_pending();
    throw;
  }
  seconds_helping_ += helping;
  return helping + pending_.get();  // rethrows what the worker threw
}

void AugmentedEpochs::cancel_pending() {
  if (!pending_.valid()) return;
  pending_work_->next = pending_work_->count;
  pending_.wait();
}

MnistTensors AugmentedEpochs::epoch(int64_t epoch) {
  const auto start = std::chrono::steady_clock::now();
  const bool ahead = pending_epoch_ == epoch;
  if (!ahead) {
    if (pending_.valid()) {  // an epoch no longer wanted
      cancel_pending();
      seconds_working_ += pending_.get();
    }
    pending_images_ = prepare(epoch);
  } else {
    ++epochs_prepared_ahead_;
  }
  seconds_working_ += finish_pending();
  MnistTensors result{pending_images_, train_.labels};
  pending_epoch_ = 0;
  pending_images_ = at::Tensor();
  pending_work_.reset();
  const double waited = seconds_since(start);
  seconds_waited_ += waited;
  if (ahead) seconds_waited_ahead_ += waited;
  if (epoch < last_epoch_) pending_images_ = prepare(epoch + 1);
  return result;
}

}  // namespace mnist
