// One training run; see training_run.h.
#include "train/training_run.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/option_values.h"
#include "data/augmented_epochs.h"
#include "data/drawn_variant_set.h"
#include "data/mnist_bytes_dataset.h"
#include "data/mnist_dataset.h"
#include "export/keras_archive.h"
#include "export/keras_h5.h"
#include "export/keras_layers.h"
#include "export/model_file.h"
#include "export/onnx_export.h"
#include "export/torchscript.h"
#include "model/model.h"
#include "report/evaluation.h"
#include "report/training_curves.h"
#include "train/resume_state.h"
#include "train/train_log.h"
#include "train/trainer.h"
#include "train/training_card.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

// The calibration hold-out's drawn variants are rendered from every 3rd held-out image (36,000
// images for the usual 6,000, about 10 s on one core, where all of them take about 30 s). Not
// every 2nd or 4th: the off-centre and rotated variants choose a corner and a direction by the
// image's index modulo 4 and 2, and would all lean one way (scripts/recipe-notes.md).
constexpr int64_t kCalibrationVariantEvery = 3;

ModelSpec model_spec(const TrainOptions& options) {
  ModelSpec spec;
  spec.hidden = options.hidden;
  spec.dropout = options.dropout;
  return spec;
}

TrainSettings train_settings(const TrainOptions& options, const std::function<bool()>& should_stop) {
  TrainSettings settings;
  settings.batch_size = options.batch_size;
  settings.learning_rate = options.learning_rate;
  settings.schedule = options.lr_schedule;
  settings.total_epochs = options.epochs;
  settings.weight_decay = options.weight_decay;
  settings.label_smoothing = options.label_smoothing;
  settings.seed = static_cast<uint64_t>(options.seed);
  settings.should_stop = should_stop;
  return settings;
}

struct TrainingData {
  TrainValidation split;
  MnistTensors calibration;  // the images the temperature is fitted on (empty: no calibration)
  std::string calibration_name;
  MnistTensors test;
};

TrainingData load_training_data(const TrainOptions& options) {
  // The training set stays in bytes, as the files hold it: a quarter of the memory of floats,
  // converted batch by batch (scripts/bench-notes.md).
  const auto train = load_mnist(options.data_dir, MnistSplit::kTrain, options.train_limit, PixelFormat::kBytes);
  TrainingData data;
  data.test = load_mnist(options.data_dir, MnistSplit::kTest, options.test_limit);
  const double holdout = calibration_holdout(options);
  if (holdout > 0) {
    if (std::floor(static_cast<double>(train.size()) * holdout) < 1) {
      throw UsageError("--calibrate on: " + std::to_string(train.size()) + " training images leave none to hold " +
                       "out for the temperature (it takes the last 10%); train on more or use --calibrate off");
    }
    // Not a validation split (nothing is logged per epoch on it), but the same images.
    auto held = split_validation(train, holdout);
    data.split.train = held.train;
    data.calibration = held.validation;
    data.calibration_name = "calibration hold-out: the last " + std::to_string(data.calibration.size()) +
                            " training images, not trained on";
  } else {
    data.split = split_validation(train, options.val_split);
    if (options.calibrate) {
      data.calibration = data.split.validation;
      data.calibration_name = "validation split: the last " + std::to_string(data.calibration.size()) +
                              " training images";
    }
  }
  // A model trained to read people's digits is calibrated on them too: on the held-out digits
  // alone its temperature softened the variants' answers (mean confidence 96.1% at 97.8%
  // accuracy on the test set's), so that "not sure" fired on right answers
  // (scripts/recipe-notes.md).
  if (options.drawn_styles > 0 && data.calibration.size() > 0) {
    const int64_t held_out = data.calibration.size();
    data.calibration = with_drawn_variants(data.calibration, kCalibrationVariantEvery);
    data.calibration_name += ", and " + std::to_string(data.calibration.size() - held_out) +
                             " drawn variants of them (one image in " + std::to_string(kCalibrationVariantEvery) +
                             " in each variant)";
  }
  return data;
}

// "784-300-100-10", with the hidden activations when they are not all relu.
std::string describe_layers(const ModelSpec& spec) {
  std::string text = describe_architecture(spec);
  std::string activations;
  bool all_relu = true;
  for (size_t i = 0; i < spec.hidden.size(); ++i) {
    activations += (i == 0 ? "" : ",") + hidden_activation(spec, i);
    all_relu = all_relu && hidden_activation(spec, i) == "relu";
  }
  return all_relu ? text : text + " (hidden activations " + activations + ")";
}

// --init-from: the weights of `file` copied into `model`, which build_mlp(spec) made. The file's
// input scaling is folded into its first layer so that it trains as one of ours.
void start_from_file(const fs::path& file, KerasInputRange range, const ModelSpec& spec,
                     torch::nn::Sequential& model) {
  ImportedMlp imported = load_mlp_file(file, range);
  ModelSpec relu_spec = imported.spec;
  relu_spec.hidden_activations.clear();
  if (imported.spec.hidden != spec.hidden || describe_layers(imported.spec) != describe_layers(relu_spec)) {
    throw UsageError("--init-from " + file.string() + ": its architecture " + describe_layers(imported.spec) +
                     " does not match the model to train, " + describe_layers(spec) + "; pass --hidden " +
                     format_hidden_sizes(imported.spec.hidden) + " (relu hidden layers only)");
  }
  imported = with_normalization(imported, spec.normalization);
  const auto from = linear_layers(imported.model);
  const auto to = linear_layers(model);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < from.size(); ++i) {
    to[i]->weight.copy_(from[i]->weight);
    to[i]->bias.copy_(from[i]->bias);
  }
}

// One run of mnist-train from its data to its exports; the steps of run_training.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& options, const c10::Device& device, TrainingObserver& observer,
              const std::function<bool()>& should_stop)
      : options_(options),
        device_(device),
        observer_(observer),
        spec_(model_spec(options)),
        outputs_(options.out_dir),
        history_(options.resume ? resume_history(options, outputs_.checkpoint) : std::vector<EpochReport>{}),
        data_(load_training_data(options)),
        trainer_(spec_, train_settings(options, should_stop), device) {
    if (options.resume) {
      trainer_.load_checkpoint(outputs_.checkpoint);
    } else if (!options.init_from.empty()) {
      start_from_file(options.init_from, options.keras_input_range, spec_, trainer_.model());
      summary_.initial_test_accuracy = evaluate_model(trainer_.model(), data_.test, device_).accuracy;
    }
    AugmentParams augmentation = augment_params_for_strength(options.augment);
    augmentation.drawn_styles = options.drawn_styles;
    if (!augmentation.is_identity()) {
      augmented_.emplace(
          MnistTensors{pixels_in_unit_range(data_.split.train.images), data_.split.train.labels},
          augmentation, static_cast<uint64_t>(options.seed), options.epochs);
    }
  }

  // Trains the epochs left; false when a stop request ended the run before the last one.
  bool train_epochs() {
    for (int64_t epoch = static_cast<int64_t>(history_.size()) + 1; epoch <= options_.epochs; ++epoch) {
      const auto stats = trainer_.train_epoch(
          epoch, augmented_ ? augmented_->epoch(epoch) : data_.split.train, observer_);
      if (!stats.finished) {
        trainer_.save_checkpoint(outputs_.checkpoint, epoch - 1, checkpoint_metadata(options_, history_));
        return stopped(epoch, stats);
      }
      finish_epoch(epoch, stats);
      if (stats.stop_requested && epoch < options_.epochs) return stopped(epoch, stats);
    }
    return true;
  }

  void export_models() {
    const double temperature = calibrate();
    std::optional<ModelCalibration> card_calibration;
    if (summary_.calibration) card_calibration = ModelCalibration{summary_.calibration->fit, summary_.calibration->held_out};
    const std::string card =
        model_card_json(options_, spec_, history_, card_calibration ? &*card_calibration : nullptr);
    export_torchscript(trainer_.model(), outputs_.torchscript, card, temperature);
    const auto keras_layers = to_keras_layers(trainer_.model(), temperature);
    write_keras_h5(outputs_.keras_model, keras_layers, KerasH5Kind::kFullModel);
    write_keras_h5(outputs_.keras_weights, keras_layers, KerasH5Kind::kWeightsOnly);
    write_keras_archive(outputs_.keras_archive, keras_layers);
    write_onnx(outputs_.onnx, keras_layers, card);
    draw_training_curves(outputs_.train_log, outputs_.training_curves);
    summary_.files_written = {outputs_.torchscript, outputs_.keras_model, outputs_.keras_weights, outputs_.keras_archive, outputs_.onnx,
                              outputs_.train_log,   outputs_.training_curves, outputs_.checkpoint};
  }

  TrainSummary summary(std::chrono::steady_clock::time_point start) {
    if (!history_.empty() && !summary_.interrupted) {
      summary_.train_accuracy = history_.back().train_accuracy;
      summary_.test_accuracy = history_.back().test_accuracy;
      summary_.test_loss = history_.back().test_loss;
    }
    if (augmented_) {
      summary_.augmented = true;
      summary_.augment_wait_ahead_seconds = augmented_->seconds_waited_ahead();
      summary_.augment_wait_seconds = augmented_->seconds_waited();
      summary_.augment_work_seconds = augmented_->seconds_working();
      summary_.augment_help_seconds = augmented_->seconds_helping();
    }
    if (!summary_.interrupted) {
      summary_.samples_per_second = training_seconds_ > 0 ? samples_trained_ / training_seconds_ : 0;
      summary_.wall_seconds = seconds_since(start);
    }
    return summary_;
  }

 private:
  // The temperature for the exports: fitted on the held-out images, 1 without calibration.
  double calibrate() {
    if (data_.calibration.size() == 0) return 1.0;
    TrainSummary::Calibration calibration;
    calibration.fit = fit_and_measure(labelled_logits(trainer_.model(), data_.calibration, device_));
    calibration.held_out = data_.calibration_name;
    const auto test = labelled_logits(trainer_.model(), data_.test, device_);
    calibration.test_before = measure_calibration(test, 1.0);
    calibration.test_after = measure_calibration(test, calibration.fit.temperature);
    summary_.calibration = calibration;
    return calibration.fit.temperature;
  }

  // Evaluates a finished epoch, logs it and writes the checkpoint.
  void finish_epoch(int64_t epoch, const EpochTrainStats& stats) {
    const auto evaluation_start = std::chrono::steady_clock::now();
    EpochReport report;
    report.epoch = epoch;
    report.epochs = options_.epochs;
    report.train_loss = stats.loss;
    report.train_accuracy = stats.accuracy;
    if (data_.split.validation.size() > 0) {
      const auto val = evaluate_model(trainer_.model(), data_.split.validation, device_);
      report.has_validation = true;
      report.val_loss = val.loss;
      report.val_accuracy = val.accuracy;
    }
    const auto tested = evaluate_model(trainer_.model(), data_.test, device_);
    report.test_loss = tested.loss;
    report.test_accuracy = tested.accuracy;
    report.samples_per_second = stats.seconds > 0 ? stats.samples / stats.seconds : 0;
    report.seconds = stats.seconds + seconds_since(evaluation_start);
    history_.push_back(report);
    observer_.on_epoch_end(report);

    write_train_log(outputs_.train_log, history_);
    trainer_.save_checkpoint(outputs_.checkpoint, epoch, checkpoint_metadata(options_, history_));

    training_seconds_ += stats.seconds;
    samples_trained_ += stats.samples;
    ++summary_.epochs_trained;
  }

  bool stopped(int64_t epoch, const EpochTrainStats& stats) {
    summary_.interrupted =
        TrainSummary::Interruption{epoch, stats.batches_done, stats.batches, outputs_.checkpoint};
    summary_.files_written = {outputs_.checkpoint};
    return false;
  }

  const TrainOptions& options_;
  c10::Device device_;
  TrainingObserver& observer_;
  ModelSpec spec_;
  TrainOutputs outputs_;
  std::vector<EpochReport> history_;
  TrainingData data_;
  Trainer trainer_;
  std::optional<AugmentedEpochs> augmented_;
  TrainSummary summary_;
  double training_seconds_ = 0;
  int64_t samples_trained_ = 0;
};

}  // namespace

TrainOutputs::TrainOutputs(const fs::path& out_dir)
    : torchscript(out_dir / "mnist_mlp.pt"),
      keras_model(out_dir / "image_recognition.h5"),
      keras_weights(out_dir / "weights.h5"),
      keras_archive(out_dir / "image_recognition.keras"),
      onnx(out_dir / "mnist_mlp.onnx"),
      train_log(out_dir / "train_log.csv"),
      training_curves(out_dir / "training_curves.png"),
      checkpoint(out_dir / "checkpoint.pt") {}

TrainSummary run_training(const TrainOptions& options, const c10::Device& device,
                          TrainingObserver& observer, const std::function<bool()>& should_stop) {
  const auto start = std::chrono::steady_clock::now();
  validate(options);
  // Fail before hours of training, not after.
  ensure_writable_directory(options.out_dir);
  TrainingRun run(options, device, observer, should_stop);
  if (run.train_epochs()) run.export_models();
  return run.summary(start);
}

}  // namespace mnist
