// The augmented training set of each epoch, prepared in the background: while epoch e trains,
// a thread of its own transforms the images for epoch e + 1. When training asks for an epoch
// that is not ready, its thread takes a share of what is left instead of waiting idle (the work
// goes in chunks to whichever thread is free), so augmentation heavier than training costs the
// two threads' time shared, not the background thread's alone. The images of epoch e derive from
// (seed, e) alone, never from what came before or from which thread transformed which image, so
// a run resumed at any epoch sees the same data as an uninterrupted one. The time the trainer
// spends on an epoch's images, helping or waiting, is counted, to show whether the background
// thread keeps up.
// Not for: the transforms themselves (augmentation.h), training (trainer.h).
#pragma once

#include <cstdint>
#include <future>
#include <memory>

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
  // Shares what is left of that epoch's work with the background thread (all of it, when the
  // epoch was not prepared ahead), then starts preparing the next epoch in the background.
  MnistTensors epoch(int64_t epoch);

  double seconds_waited() const { return seconds_waited_; }  // in epoch(), in all
  // In epoch() for epochs that were prepared ahead: what the background thread did not hide.
  double seconds_waited_ahead() const { return seconds_waited_ahead_; }
  double seconds_working() const { return seconds_working_; }  // transforming, both threads
  // The part of seconds_working() done on the caller's thread, inside epoch().
  double seconds_helping() const { return seconds_helping_; }
  int64_t epochs_prepared_ahead() const { return epochs_prepared_ahead_; }

 private:
  struct Work;  // one epoch's transform, shared out in chunks

  at::Tensor prepare(int64_t epoch);  // starts the transform of one epoch into a new tensor
  double finish_pending();            // helps until no chunk is left, waits for the rest: seconds worked
  void cancel_pending();              // hands out no more chunks, waits for those in hand

  MnistTensors train_;
  AugmentParams params_;
  uint64_t seed_;
  int64_t last_epoch_;
  int64_t pending_epoch_ = 0;  // 0: nothing in the background
  at::Tensor pending_images_;
  std::shared_ptr<Work> pending_work_;
  std::future<double> pending_;  // the seconds the background thread spent on its chunks
  double seconds_waited_ = 0;
  double seconds_waited_ahead_ = 0;
  double seconds_working_ = 0;
  double seconds_helping_ = 0;
  int64_t epochs_prepared_ahead_ = 0;
};

// The seed of epoch `epoch`'s augmentation for a run seeded with `seed`.
uint64_t augmentation_seed(uint64_t seed, int64_t epoch);

}  // namespace mnist
