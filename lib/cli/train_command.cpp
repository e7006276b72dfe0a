// The mnist-train tool; see train_command.h.
#include "cli/train_command.h"

#include <ostream>

#include "cli/command_line.h"
#include "cli/train_options.h"
#include "core/shell_quote.h"
#include "core/text.h"
#include "runtime/device.h"
#include "runtime/runtime_info.h"
#include "train/progress_display.h"

namespace mnist {

namespace {

void print_runtime(std::ostream& out, const c10::Device& device) {
  out << "using device=" << device.str() << "\n"
      << "torch_threads=" << torch_thread_count() << "\n"
      << "blas=" << describe_blas() << std::endl;
}

void print_summary(std::ostream& out, const TrainSummary& summary) {
  if (summary.initial_test_accuracy) {
    out << format_text("before training (--init-from): test accuracy %.4f\n", *summary.initial_test_accuracy);
  }
  out << format_text("done: %lld epochs in this run, train accuracy %.4f, test accuracy %.4f, "
                     "%.1f s wall, %.0f samples/s\n",
                     static_cast<long long>(summary.epochs_trained), summary.train_accuracy,
                     summary.test_accuracy, summary.wall_seconds, summary.samples_per_second);
  if (summary.augmented) {
    out << format_text("augmentation: %.1f s of work, %.1f s of it by the training thread; training "
                       "spent %.1f s on epochs prepared ahead, helping or waiting (%.1f s in all, "
                       "with the first epoch)\n",
                       summary.augment_work_seconds, summary.augment_help_seconds,
                       summary.augment_wait_ahead_seconds, summary.augment_wait_seconds);
  }
  if (summary.calibration) {
    const auto& c = *summary.calibration;
    out << format_text("calibration: temperature %.4f fitted on %lld images (%s): ECE %.2f%% -> %.2f%%, "
                       "cross-entropy %.4f -> %.4f\n",
                       c.fit.temperature, static_cast<long long>(c.fit.before.count), c.held_out.c_str(),
                       100 * c.fit.before.expected_calibration_error, 100 * c.fit.after.expected_calibration_error,
                       c.fit.before.nll, c.fit.after.nll)
        << format_text("calibration on the test set: ECE %.2f%% -> %.2f%%, cross-entropy %.4f -> %.4f, "
                       "mean confidence %.2f%% -> %.2f%%, accuracy %.2f%% -> %.2f%%\n",
                       100 * c.test_before.expected_calibration_error, 100 * c.test_after.expected_calibration_error,
                       c.test_before.nll, c.test_after.nll, 100 * c.test_before.mean_confidence,
                       100 * c.test_after.mean_confidence, 100 * c.test_before.accuracy, 100 * c.test_after.accuracy);
  }
  for (const auto& file : summary.files_written) out << "wrote " << file.string() << "\n";
  out << std::flush;
}

}  // namespace

std::string describe_interruption(const TrainSummary::Interruption& interruption,
                                  const std::vector<std::string>& command_line) {
  std::string resume = shell_command(command_line);
  bool has_resume = false;
  for (const auto& argument : command_line) has_resume = has_resume || argument == "--resume";
  if (!has_resume) resume += " --resume";
  return "interrupted at epoch " + std::to_string(interruption.epoch) + ", batch " +
         std::to_string(interruption.batches_done) + " of " + std::to_string(interruption.batches) +
         ": checkpoint written to " + interruption.checkpoint.string() + "; resume with: " + resume;
}

int run_train_cli(const std::vector<std::string>& args, const Console& console, const StopSource& stop) {
  return run_cli("mnist-train", console.err, [&]() {
    const auto options = parse_train_args(args, console.out);
    if (!options) return 0;
    print_options(console.out, describe(*options));

    const auto device = resolve_device(options->device);
    set_thread_count(static_cast<int>(options->threads));
    print_runtime(console.out, device);

    ProgressDisplay progress(console.out, console.out_is_terminal);
    const auto summary = run_training(*options, device, progress, stop.requested);
    if (summary.interrupted) {
      if (console.out_is_terminal) console.out << std::endl;  // ends the live progress line
      console.err << "mnist-train: " << describe_interruption(*summary.interrupted, args) << std::endl;
      return 128 + (stop.signal ? stop.signal() : 0);
    }
    print_summary(console.out, summary);
    return 0;
  });
}

}  // namespace mnist
