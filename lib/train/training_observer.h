// What the trainer tells the outside world while it runs. The trainer calls this interface and
// never prints; progress_display.h implements it for a terminal or a log.
#pragma once

#include <cstdint>

namespace mnist {

struct EpochReport {
  int64_t epoch = 0;  // 1-based
  int64_t epochs = 0;
  double train_loss = 0;      // running mean over the epoch, as Keras reports it
  double train_accuracy = 0;  // running mean over the epoch
  bool has_validation = false;
  double val_loss = 0;
  double val_accuracy = 0;
  double test_loss = 0;
  double test_accuracy = 0;
  double seconds = 0;  // training and evaluation of this epoch
  double samples_per_second = 0;  // training samples over the training part alone
};

class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  // Reading running figures costs a device synchronisation; observers that show no live
  // progress say so and are spared it.
  virtual bool wants_batch_updates() const { return false; }
  virtual void on_epoch_begin(int64_t /*epoch*/, int64_t /*epochs*/, int64_t /*batches*/) {}
  virtual void on_batch(int64_t /*batches_done*/, int64_t /*samples_done*/, double /*running_loss*/,
                        double /*running_accuracy*/, double /*elapsed_seconds*/) {}
  virtual void on_epoch_end(const EpochReport& /*report*/) {}
};

}  // namespace mnist
