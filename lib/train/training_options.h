// The options of a training run, as plain values: the struct run_training takes, the recipes
// that set its defaults, and the bounds every run is held to, whoever filled the struct in.
// Not for: reading them from a command line (cli/train_options.h), the run (train/training_run.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/mnist_dataset.h"
#include "export/keras_h5.h"
#include "train/lr_schedule.h"

namespace mnist {

// Sets of defaults for the training options, chosen on a validation split (README Results):
//   original  the Keras original: 50 epochs, batch 32, Adam 0.001 at a constant rate, all 60000
//             images trained on, no calibration
//   default   the original with a cosine schedule, augmentation at half strength and 40% of the
//             images redrawn each epoch as people draw (what mnist-train runs without --recipe,
//             the model mnist-serve serves)
//   best      augmentation, cosine schedule, weight decay, label smoothing, 1 thread (the other
//             core augments)
//   fast      the least wall time to 98% test accuracy on a 2-core CPU
enum class Recipe { kOriginal, kDefault, kBest, kFast };

std::string to_string(Recipe recipe);

// The defaults below are the "default" recipe; recipe_options() gives the others.
struct TrainOptions {
  Recipe recipe = Recipe::kDefault;  // where the defaults came from; options given override them
  std::filesystem::path data_dir = "data/mnist";
  std::filesystem::path out_dir = "models";
  std::vector<int64_t> hidden{300, 100};
  double dropout = 0.0;
  int64_t epochs = 50;
  int64_t batch_size = 32;
  double learning_rate = 0.001;
  LrSchedule lr_schedule = LrSchedule::kCosine;
  double weight_decay = 0.0;     // decoupled (AdamW); 0: plain Adam
  double label_smoothing = 0.0;  // 0: plain cross-entropy
  // Augmentation strength (data/augmentation.h); 0: none. 0.5 reads people's digits better and
  // MNIST too (chosen on the held-out images, scripts/recipe-notes.md).
  double augment = 0.5;
  // The fraction of the images redrawn each epoch in a style of people's digits (same); 0: none.
  // 0.4 reads people's digits better and MNIST too (chosen on the held-out images, README).
  double drawn_styles = 0.4;
  double val_split = 0.0;
  int64_t seed = 42;
  std::string device = "auto";  // auto, cpu, cuda or cuda:N; runtime/device.h resolves it
  int64_t threads = 0;  // 0: the libraries' defaults
  bool resume = false;
  // Start from these weights (a Keras .h5 or a TorchScript .pt of the same architecture) instead
  // of a fresh initialisation; empty: fresh. A resumed run continues from its checkpoint instead.
  std::filesystem::path init_from;
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for an --init-from Keras .h5
  int64_t train_limit = 0;  // use only the first N training images (0: all)
  int64_t test_limit = 0;   // use only the first N test images (0: all)
  // Fit a temperature on held-out images after training and fold it into the exports, so that
  // their probabilities are calibrated (report/calibration.h). Held out: the validation split,
  // or without one the last kCalibrationHoldout of the training images, which are then not
  // trained on.
  bool calibrate = true;
};

// kCalibrationHoldout (data/mnist_dataset.h) is the fraction held out for calibration when no
// --val-split is given.

// The fraction of the training images held out only for calibration (not logged per epoch):
// kCalibrationHoldout when calibrating without a validation split, else 0.
double calibration_holdout(const TrainOptions& options);

TrainOptions recipe_options(Recipe recipe);

// Throws UsageError naming the first option (as mnist-train spells it) whose value is out of range.
void validate(const TrainOptions& options);

}  // namespace mnist
