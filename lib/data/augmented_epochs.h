// The augmented training set of each epoch, prepared in the background: while epoch e trains,
// a thread of its own transforms the images for epoch e + 1. The images of epoch e derive from
// (seed, e) alone, never from what came before, so a run resumed at any epoch sees the same data
// as an uninterrupted one. The time the trainer spends waiting for an epoch's images is counted,
// to show whether the background thread keeps up.
// Not for: the transforms themselves (augmentation.h), training (trainer.h).
#pragma once

#include <cstdint>
#include <future>

#include "data/augmentation.h"
#include "data/mnist_dataset.h"

namespace mnist {

class AugmentedEpochs {
 public:
  // Keeps `train` (its images are read, never written) and prepares nothing until asked.
  // last_epoch: no epoch after it is prepared ahead.
  AugmentedEpochs(const MnistTensors& train, const AugmentParams& params, uint64_t seed,
                  int64_t last_epoch);
  ~AugmentedEpochs();
  AugmentedEpochs(const AugmentedEpochs&) = delete;
  AugmentedEpochs& operator=(const AugmentedEpochs&) = delete;

  // The training set of epoch `epoch` (1-based): the same labels, freshly transformed images.
  // Waits for the background work when it is still running (or does the work here when that
  // epoch was not prepared ahead), then starts preparing the next epoch in the background.
  MnistTensors epoch(int64_t epoch);

  double seconds_waited() const { return seconds_waited_; }  // in epoch(), in all
  // In epoch() for epochs that were prepared ahead: what the background thread did not hide.
  double seconds_waited_ahead() const { return seconds_waited_ahead_; }
  double seconds_working() const { return seconds_working_; }  // transforming, in all
  int64_t epochs_prepared_ahead() const { return epochs_prepared_ahead_; }

 private:
  at::Tensor prepare(int64_t epoch);  // starts the transform of one epoch into a new tensor

  MnistTensors train_;
  AugmentParams params_;
  uint64_t seed_;
  int64_t last_epoch_;
  int64_t pending_epoch_ = 0;  // 0: nothing in the background
  at::Tensor pending_images_;
  std::future<double> pending_;  // the seconds the background transform took
  double seconds_waited_ = 0;
  double seconds_waited_ahead_ = 0;
  double seconds_working_ = 0;
  int64_t epochs_prepared_ahead_ = 0;
};

// The seed of epoch `epoch`'s augmentation for a run seeded with `seed`.
uint64_t augmentation_seed(uint64_t seed, int64_t epoch);

}  // namespace mnist
