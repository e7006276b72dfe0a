// Progress display; see progress_display.h.
#include "train/progress_display.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/text.h"

namespace mnist {

ProgressDisplay::ProgressDisplay(std::ostream& out, bool live) : out_(out), live_(live) {}

void ProgressDisplay::on_epoch_begin(int64_t epoch, int64_t /*epochs*/, int64_t batches) {
  epoch_ = epoch;
  batches_ = batches;
}

void ProgressDisplay::on_batch(int64_t batches_done, int64_t samples_done, double running_loss,
                               double running_accuracy, double elapsed_seconds) {
  constexpr int kBarWidth = 30;
  const double fraction = batches_ > 0 ? static_cast<double>(batches_done) / batches_ : 1.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  const double rate = elapsed_seconds > 0 ? samples_done / elapsed_seconds : 0;
  const double eta = fraction > 0 ? elapsed_seconds * (1 - fraction) / fraction : 0;
  out_ << "\r\033[Kepoch " << epoch_ << " [" << std::string(filled, '=')
       << std::string(kBarWidth - filled, ' ') << "] " << batches_done << "/" << batches_
       << format_text(" loss %.4f acc %.4f %.0f samples/s ETA %.0fs", running_loss, running_accuracy,
                 rate, eta)
       << std::flush;
}

void ProgressDisplay::on_epoch_end(const EpochReport& r) {
  if (live_) out_ << "\r\033[K";
  out_ << "epoch " << r.epoch << "/" << r.epochs
       << format_text(": train loss %.4f acc %.4f", r.train_loss, r.train_accuracy);
  if (r.has_validation) out_ << format_text(" | val loss %.4f acc %.4f", r.val_loss, r.val_accuracy);
  out_ << format_text(" | test loss %.4f acc %.4f | %.1fs, %.0f samples/s", r.test_loss,
                 r.test_accuracy, r.seconds, r.samples_per_second)
       << std::endl;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace mnist
