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

// The defaults below are the "default" recipe; recipe_options() gives the others.
struct TrainOptions {
  std::string recipe = "default";  // where the defaults came from; options given override them
  std::filesystem::path data_dir = "data/mnist";
  std::filesystem::path out_dir = "models";
  std::string hidden = "300,100";
  double dropout = 0.0;
  int64_t epochs = 50;
  int64_t batch_size = 32;
  double learning_rate = 0.001;
  std::string lr_schedule = "cosine";
  double weight_decay = 0.0;     // decoupled (AdamW); 0: plain Adam
  double label_smoothing = 0.0;  // 0: plain cross-entropy
  double augment = 0.0;          // augmentation strength (augmentation.h); 0: none
  double val_split = 0.0;
  int64_t seed = 42;
  std::string device = "auto";
  int64_t threads = 0;  // 0: the libraries' defaults
  bool resume = false;
  int64_t train_limit = 0;  // use only the first N training images (0: all)
  int64_t test_limit = 0;   // use only the first N test images (0: all)
};

// The recipes `--recipe` names, each a set of defaults for the options above:
//   original  the Keras original: 50 epochs, batch 32, Adam 0.001 at a constant rate
//   default   the original with a cosine schedule (what mnist-train runs without --recipe)
//   best      augmentation, cosine schedule, weight decay, label smoothing, 1 thread (the other
//             core augments; see README Results)
//   fast      the least wall time to 98% test accuracy on a 2-core CPU
// Throws UsageError naming --recipe for any other name.
TrainOptions recipe_options(const std::string& recipe);

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
  // With --augment: the seconds the training loop waited for augmented epochs that the
  // background thread had prepared ahead (0 when it kept up), for all epochs including the
  // first (which nothing could prepare ahead), and the background thread's working time.
  bool augmented = false;
  double augment_wait_ahead_seconds = 0;
  double augment_wait_seconds = 0;
  double augment_work_seconds = 0;
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
