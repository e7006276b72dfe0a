// The training loop: the MLP, torch::optim::Adam and cross-entropy on logits, one epoch at a
// time, with checkpoints that let a resumed run end bit-identical to an uninterrupted one, also
// when the run was stopped in the middle of an epoch.
// Not for: loading data, writing exports or logs (train/training_run.h does that), signals (the app
// turns them into should_stop).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/optim/adam.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "data/mnist_dataset.h"
#include "model/model.h"
#include "train/lr_schedule.h"
#include "train/training_observer.h"

namespace mnist {

struct TrainSettings {
  int64_t batch_size = 32;
  double learning_rate = 1e-3;
  LrSchedule schedule = LrSchedule::kConstant;
  int64_t total_epochs = 1;  // what the cosine schedule spans
  // Decoupled weight decay (as AdamW): every step first scales the weights by
  // 1 - learning_rate * weight_decay. 0: plain Adam, the original recipe.
  double weight_decay = 0.0;
  // Cross-entropy against targets that give this much probability mass to the other classes.
  double label_smoothing = 0.0;
  uint64_t seed = 42;
  // Asked after every step; true stops the epoch there, resumably (see train_epoch). Empty:
  // never stop early.
  std::function<bool()> should_stop;
};

// The learning rate of epoch `epoch` (1-based) under the settings' schedule.
double learning_rate_for_epoch(const TrainSettings& settings, int64_t epoch);


struct EpochTrainStats {
  double loss = 0;      // running means over the samples trained so far in the epoch
  double accuracy = 0;
  int64_t samples = 0;  // trained so far in the epoch, including before a resume
  double seconds = 0;   // training time of the epoch, including before a resume
  double learning_rate = 0;
  bool finished = true;  // false: should_stop ended the epoch after batches_done steps
  int64_t batches_done = 0;
  int64_t batches = 0;
  bool stop_requested = false;  // should_stop answered true (after the last step: finished)
};

class Trainer {
 public:
  // Builds the model from a generator seeded with settings.seed, on `device`.
  Trainer(const ModelSpec& spec, const TrainSettings& settings, const c10::Device& device);

  torch::nn::Sequential& model() { return model_; }
  const c10::Device& device() const { return device_; }

  // Trains epoch number `epoch` (1-based) over `train` (float or byte pixels: batches are
  // converted as they are gathered), reshuffled. All randomness of an epoch
  // (order, dropout) derives from (seed, epoch) alone, which is what makes resuming exact.
  // When settings.should_stop answers true before the last step the epoch ends early
  // (finished == false) and the trainer keeps what is needed to go on: a save_checkpoint now
  // stores it, and the next train_epoch call, which must be for the same epoch, continues with
  // the following step, ending exactly as the epoch would have without the stop. After the last
  // step the epoch is simply finished, with stop_requested set for the caller.
  EpochTrainStats train_epoch(int64_t epoch, const MnistTensors& train, TrainingObserver& observer);

  // Model, optimizer state, the number of finished epochs, the position in an epoch stopped
  // early (see train_epoch) and free-form metadata (JSON text), written atomically.
  void save_checkpoint(const std::filesystem::path& path, int64_t epochs_done,
                       const std::string& metadata) const;

  struct Checkpoint {
    int64_t epochs_done = 0;
    std::string metadata;
    // An epoch stopped early: epoch epochs_done + 1, with this many of its steps taken; 0 when
    // the checkpoint is at an epoch boundary.
    int64_t batches_done = 0;
  };
  // Reads only the epoch count and metadata, so a caller can check compatibility first.
  static Checkpoint read_checkpoint_header(const std::filesystem::path& path);
  // Restores model and optimizer state, and an epoch stopped early, which the next train_epoch
  // then continues. Throws RuntimeError naming the file when it does not fit.
  Checkpoint load_checkpoint(const std::filesystem::path& path);

 private:
  // What an epoch stopped early needs to go on as if it had not stopped.
  struct EpochInProgress {
    int64_t epoch = 0;  // 0: none
    int64_t batches_done = 0;
    double loss_sum = 0;  // per-sample loss summed over the steps taken
    int64_t correct = 0;
    double seconds = 0;
    at::Tensor cpu_rng_state;   // the global generators dropout draws from, after the last step
    at::Tensor cuda_rng_state;  // undefined unless training on CUDA
  };

  struct EpochRun;
  // The steps of train_epoch.
  EpochRun begin_epoch(int64_t epoch, const MnistTensors& train, const EpochInProgress& resumed);
  void prepare_randomness(int64_t epoch, const EpochInProgress& resumed);
  at::Tensor shuffled_order(int64_t epoch, int64_t count) const;
  void train_step(EpochRun& run, int64_t batch);
  void report_progress(const EpochRun& run, int64_t batches_done, TrainingObserver& observer) const;
  EpochTrainStats keep_in_progress(const EpochRun& run, int64_t batches_done);
  EpochTrainStats stats_after(const EpochRun& run, int64_t batches_done) const;

  // Makes every parameter of the model a view into flat_parameters_ and its gradient a view
  // into flat_gradients_, so that Adam, weight decay and zeroing the gradients are one tensor
  // operation each instead of one per layer tensor. Called again after a checkpoint is loaded,
  // which replaces the parameters' storage.
  void flatten_parameters();

  TrainSettings settings_;
  c10::Device device_;
  torch::nn::Sequential model_;
  at::Tensor flat_parameters_;
  at::Tensor flat_gradients_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  EpochInProgress in_progress_;
};

}  // namespace mnist
