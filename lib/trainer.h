// The training loop: the MLP, torch::optim::Adam and cross-entropy on logits, one epoch at a
// time, with checkpoints that let a resumed run end bit-identical to an uninterrupted one.
// Not for: loading data, writing exports or logs (train_command.h does that).
#pragma once

#include <c10/core/Device.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/optim/adam.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "mnist_dataset.h"
#include "model.h"
#include "training_observer.h"

namespace mnist {

enum class LrSchedule {
  kConstant,  // the original Keras recipe
  kCosine,    // from learning_rate down to 0 over total_epochs, one step per epoch
};

struct TrainSettings {
  int64_t batch_size = 32;
  double learning_rate = 1e-3;
  LrSchedule schedule = LrSchedule::kConstant;
  int64_t total_epochs = 1;  // what the cosine schedule spans
  uint64_t seed = 42;
};

// The learning rate of epoch `epoch` (1-based) under the settings' schedule.
double learning_rate_for_epoch(const TrainSettings& settings, int64_t epoch);

// "constant" or "cosine"; throws UsageError naming --lr-schedule otherwise.
LrSchedule parse_lr_schedule(const std::string& text);

struct EpochTrainStats {
  double loss = 0;
  double accuracy = 0;
  int64_t samples = 0;
  double seconds = 0;
  double learning_rate = 0;
};

class Trainer {
 public:
  // Builds the model from a generator seeded with settings.seed, on `device`.
  Trainer(const ModelSpec& spec, const TrainSettings& settings, const c10::Device& device);

  torch::nn::Sequential& model() { return model_; }
  const c10::Device& device() const { return device_; }

  // Trains epoch number `epoch` (1-based) over `train`, reshuffled. All randomness of an epoch
  // (order, dropout) derives from (seed, epoch) alone, which is what makes resuming exact.
  EpochTrainStats train_epoch(int64_t epoch, const MnistTensors& train, TrainingObserver& observer);

  // Model, optimizer state, the number of finished epochs and free-form metadata (JSON text),
  // written atomically.
  void save_checkpoint(const std::filesystem::path& path, int64_t epochs_done,
                       const std::string& metadata) const;

  struct Checkpoint {
    int64_t epochs_done = 0;
    std::string metadata;
  };
  // Reads only the epoch count and metadata, so a caller can check compatibility first.
  static Checkpoint read_checkpoint_header(const std::filesystem::path& path);
  // Restores model and optimizer state. Throws RuntimeError naming the file when it does not fit.
  Checkpoint load_checkpoint(const std::filesystem::path& path);

 private:
  TrainSettings settings_;
  c10::Device device_;
  torch::nn::Sequential model_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace mnist
