// Training progress for people: a live bar per epoch on a terminal, one plain line per epoch
// when the output is a log or CI. The only part of the library that writes to a stream, and it
// writes only to the stream it is given.
#pragma once

#include <ostream>

#include "train/training_observer.h"

namespace mnist {

class ProgressDisplay : public TrainingObserver {
 public:
  // live: redraw a bar in place (use when the stream is a terminal).
  ProgressDisplay(std::ostream& out, bool live);

  bool wants_batch_updates() const override { return live_; }
  void on_epoch_begin(int64_t epoch, int64_t epochs, int64_t batches) override;
  void on_batch(int64_t batches_done, int64_t samples_done, double running_loss,
                double running_accuracy, double elapsed_seconds) override;
  void on_epoch_end(const EpochReport& report) override;

 private:
  std::ostream& out_;
  bool live_;
  int64_t epoch_ = 0;
  int64_t batches_ = 0;
};

// Whether standard output is a terminal.
bool stdout_is_terminal();

}  // namespace mnist
