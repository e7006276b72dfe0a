// One training run, from its options to its files: run_training loads and checks the data,
// trains epoch by epoch (train/trainer.h) with a log row and a checkpoint after each, evaluates
// on the validation and test sets, fits the temperature, then exports TorchScript, Keras HDF5,
// the Keras 3 archive and ONNX; asked to stop, it finishes the current step, writes a checkpoint
// and returns without exporting. What mnist-train runs, and any program that trains in code.
// Not for: the options' parsing and printing (cli/train_command.h), one step or epoch of the loop
// (train/trainer.h), signals (the caller turns them into should_stop).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/calibration.h"
#include "train/training_observer.h"
#include "train/training_options.h"

namespace mnist {

// The files mnist-train writes into out_dir.
struct TrainOutputs {
  std::filesystem::path torchscript, keras_model, keras_weights, keras_archive, onnx, train_log, training_curves,
      checkpoint;
  explicit TrainOutputs(const std::filesystem::path& out_dir);
};

struct TrainSummary {
  int64_t epochs_trained = 0;  // in this run (fewer than the total after --resume)
  double train_accuracy = 0;
  double test_accuracy = 0;
  double test_loss = 0;
  double wall_seconds = 0;
  double samples_per_second = 0;  // training samples over training time, this run
  // With augmentation: the seconds the training loop spent on augmented epochs that the
  // background thread had prepared ahead (0 when it kept up), helping or waiting, the same for
  // all epochs including the first (which nothing could prepare ahead), the working time of
  // both threads, and the training thread's part of it.
  bool augmented = false;
  double augment_wait_ahead_seconds = 0;
  double augment_wait_seconds = 0;
  double augment_work_seconds = 0;
  double augment_help_seconds = 0;  // the part of the work done by the training thread
  std::vector<std::filesystem::path> files_written;
  // With --init-from (not resumed): the test accuracy of the weights the run started from.
  std::optional<double> initial_test_accuracy;

  // With --calibrate on: the temperature fitted on the held-out images, folded into the exports,
  // and the test set measured before (T = 1) and after (never used for the fit).
  struct Calibration {
    TemperatureFit fit;
    std::string held_out;
    CalibrationMeasure test_before;
    CalibrationMeasure test_after;
  };
  std::optional<Calibration> calibration;

  // Set when should_stop ended the run early: the checkpoint holds everything --resume needs,
  // and nothing was exported.
  struct Interruption {
    int64_t epoch = 0;  // the epoch stopped in (1-based)
    int64_t batches_done = 0;  // equal to batches: stopped after the epoch, which is in the log
    int64_t batches = 0;
    std::filesystem::path checkpoint;
  };
  std::optional<Interruption> interrupted;
};

// Trains as `options` say. should_stop is asked after every training step; when it answers
// true the run stops there as TrainSummary::interrupted describes (after an epoch's last step,
// once the epoch is evaluated and logged). Only after the last step of all, when just the
// exports remain, does the run go on to finish.
TrainSummary run_training(const TrainOptions& options, const c10::Device& device,
                          TrainingObserver& observer,
                          const std::function<bool()>& should_stop = nullptr);

}  // namespace mnist
