// Progress display; see progress_display.h.
#include "progress_display.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace mnist {

namespace {

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c, d);
  return buffer;
}

}  // namespace

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
       << format(" loss %.4f acc %.4f %.0f samples/s ETA %.0fs", running_loss, running_accuracy,
                 rate, eta)
       << std::flush;
}

void ProgressDisplay::on_epoch_end(const EpochReport& r) {
  if (live_) out_ << "\r\033[K";
  out_ << "epoch " << r.epoch << "/" << r.epochs
       << format(": train loss %.4f acc %.4f", r.train_loss, r.train_accuracy);
  if (r.has_validation) out_ << format(" | val loss %.4f acc %.4f", r.val_loss, r.val_accuracy);
  out_ << format(" | test loss %.4f acc %.4f | %.1fs, %.0f samples/s", r.test_loss,
                 r.test_accuracy, r.seconds, r.samples_per_second)
       << std::endl;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace mnist
