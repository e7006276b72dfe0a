// What `mnist-train` does, as a library call: load and check the data, train epoch by epoch
// with a log row and a checkpoint after each, then export TorchScript and Keras HDF5. Asked to
// stop, it finishes the current step, writes a checkpoint and returns without exporting.
// Not for: option parsing, printing or signals (app/train_main.cpp), the loop itself (trainer.h).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "training_observer.h"

namespace mnist {

struct TrainOptions {
  std::filesystem::path data_dir = "data/mnist";
  std::filesystem::path out_dir = "models";
  std::string hidden = "300,100";
  double dropout = 0.0;
  int64_t epochs = 50;
  int64_t batch_size = 32;
  double learning_rate = 0.001;
  std::string lr_schedule = "cosine";
  double val_split = 0.0;
  int64_t seed = 42;
  std::string device = "auto";
  int64_t threads = 0;  // 0: the libraries' defaults
  bool resume = false;
  int64_t train_limit = 0;  // use only the first N training images (0: all)
  int64_t test_limit = 0;   // use only the first N test images (0: all)
};

// Throws UsageError naming the first option whose value is out of range.
void validate(const TrainOptions& options);

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const TrainOptions& options);

// The files mnist-train writes into out_dir.
struct TrainOutputs {
  std::filesystem::path torchscript, keras_model, keras_weights, train_log, training_curves,
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
  std::vector<std::filesystem::path> files_written;

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

// One line for the user about an interrupted run: where it stopped, where the checkpoint is and
// the command that resumes it (command_line with --resume added, quoted for a POSIX shell).
std::string describe_interruption(const TrainSummary::Interruption& interruption,
                                  const std::vector<std::string>& command_line);

}  // namespace mnist
