// The mnist-train pipeline; see train_command.h.
#include "train_command.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "atomic_file.h"
#include "augmented_epochs.h"
#include "errors.h"
#include "evaluation.h"
#include "keras_h5.h"
#include "mnist_bytes_dataset.h"
#include "mnist_dataset.h"
#include "model.h"
#include "runtime_info.h"
#include "torchscript_export.h"
#include "train_log.h"
#include "training_curves.h"
#include "trainer.h"

namespace mnist {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void require(bool ok, const std::string& option, const std::string& value, const std::string& rule) {
  if (!ok) throw UsageError("--" + option + " " + value + ": " + rule);
}

std::string to_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

ModelSpec model_spec(const TrainOptions& options) {
  ModelSpec spec;
  spec.hidden = parse_hidden_sizes(options.hidden);
  spec.dropout = options.dropout;
  return spec;
}

// Null when 0, so that checkpoints written before an option existed (without its key) still
// resume when the option is left at 0.
json unless_zero(double value) { return value == 0 ? json() : json(value); }

// What must be equal between a checkpoint and the run resuming it for the result to be the run
// the checkpoint came from. The recipe is not: the values it resolved to are.
json resume_identity(const TrainOptions& options) {
  return {{"hidden", options.hidden},         {"dropout", options.dropout},
          {"batch_size", options.batch_size}, {"learning_rate", options.learning_rate},
          {"seed", options.seed},             {"val_split", options.val_split},
          {"train_limit", options.train_limit}, {"lr_schedule", options.lr_schedule},
          {"weight_decay", unless_zero(options.weight_decay)},
          {"label_smoothing", unless_zero(options.label_smoothing)},
          {"augment", unless_zero(options.augment)},
          // a cosine schedule spans the whole run, so its length is part of the run
          {"epochs", options.lr_schedule == "cosine" ? json(options.epochs) : json()}};
}

json augmentation_card(double strength) {
  if (strength == 0) return json();
  const AugmentParams p = augment_params_for_strength(strength);
  return {{"strength", strength},
          {"max_shift_pixels", p.max_shift},
          {"max_rotation_degrees", p.max_rotation},
          {"scale", {p.min_scale, p.max_scale}},
          {"elastic_alpha", p.elastic_alpha},
          {"elastic_sigma", p.elastic_sigma}};
}

std::string describe_augmentation(double strength) {
  if (strength == 0) return "0 (none)";
  const AugmentParams p = augment_params_for_strength(strength);
  return to_text(strength) + " (shift " + to_text(p.max_shift) + " px, rotation " +
         to_text(p.max_rotation) + " deg, scale " + to_text(p.min_scale) + "-" +
         to_text(p.max_scale) + ", elastic alpha " + to_text(p.elastic_alpha) + " sigma " +
         to_text(p.elastic_sigma) + ")";
}

json to_json(const EpochReport& r) {
  return {{"epoch", r.epoch},
          {"train_loss", r.train_loss},
          {"train_accuracy", r.train_accuracy},
          {"has_validation", r.has_validation},
          {"val_loss", r.val_loss},
          {"val_accuracy", r.val_accuracy},
          {"test_loss", r.test_loss},
          {"test_accuracy", r.test_accuracy},
          {"seconds", r.seconds},
          {"samples_per_second", r.samples_per_second}};
}

EpochReport from_json(const json& j) {
  EpochReport r;
  r.epoch = j.at("epoch");
  r.train_loss = j.at("train_loss");
  r.train_accuracy = j.at("train_accuracy");
  r.has_validation = j.at("has_validation");
  r.val_loss = j.at("val_loss");
  r.val_accuracy = j.at("val_accuracy");
  r.test_loss = j.at("test_loss");
  r.test_accuracy = j.at("test_accuracy");
  r.seconds = j.at("seconds");
  r.samples_per_second = j.at("samples_per_second");
  return r;
}

std::vector<EpochReport> resume_history(const TrainOptions& options, const fs::path& checkpoint) {
  const auto header = Trainer::read_checkpoint_header(checkpoint);
  json metadata;
  try {
    metadata = json::parse(header.metadata);
  } catch (const json::exception&) {
    throw RuntimeError(checkpoint.string() + ": checkpoint metadata is not valid JSON");
  }
  const json expected = resume_identity(options);
  std::string was;
  std::string asked;
  for (const auto& [key, value] : expected.items()) {
    const json stored = metadata.at("identity").value(key, json());
    if (stored != value) {
      was += (was.empty() ? "" : ", ") + key + "=" + stored.dump();
      asked += (asked.empty() ? "" : ", ") + key + "=" + value.dump();
    }
  }
  if (!was.empty()) {
    throw UsageError("--resume: " + checkpoint.string() + " was trained with " + was +
                     "; this run asks for " + asked +
                     ". Use the same options, or train without --resume");
  }
  std::vector<EpochReport> history;
  for (const auto& row : metadata.at("history")) history.push_back(from_json(row));
  if (static_cast<int64_t>(history.size()) != header.epochs_done) {
    throw RuntimeError(checkpoint.string() + ": checkpoint history is inconsistent");
  }
  return history;
}

json checkpoint_metadata(const TrainOptions& options, const std::vector<EpochReport>& history) {
  json rows = json::array();
  for (const auto& row : history) rows.push_back(to_json(row));
  return {{"identity", resume_identity(options)}, {"history", rows}};
}

// An argument as a POSIX shell reads it back: bare when that is safe, single-quoted otherwise.
std::string shell_quoted(const std::string& argument) {
  const bool bare = !argument.empty() &&
                    argument.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789_-+=.,/:@%") == std::string::npos;
  if (bare) return argument;
  std::string quoted = "'";
  for (const char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

json model_card(const TrainOptions& options, const ModelSpec& spec,
                const std::vector<EpochReport>& history) {
  json layers = json::array();
  for (const int64_t units : spec.hidden) layers.push_back({{"type", "dense"}, {"units", units}, {"activation", "relu"}});
  layers.push_back({{"type", "dense"}, {"units", kNumClasses}, {"activation", "softmax"}});
  json card = {
      {"name", "mnist_mlp"},
      {"architecture", describe_architecture(spec)},
      {"layers", layers},
      {"dropout", spec.dropout},
      {"input", "float32 [N,28,28], [N,1,28,28] or [N,784], pixels in [0,1]"},
      {"output", "float32 [N,10] class probabilities (softmax)"},
      {"normalization", {{"mean", spec.normalization.mean}, {"std", spec.normalization.std},
                         {"applied", "inside the module: (x - mean) / std"}}},
      {"training", {{"recipe", options.recipe},
                    {"optimizer", options.weight_decay > 0 ? "AdamW (decoupled weight decay)" : "Adam"},
                    {"loss", "cross-entropy"},
                    {"weight_decay", options.weight_decay},
                    {"label_smoothing", options.label_smoothing},
                    {"augmentation", augmentation_card(options.augment)},
                    {"epochs", options.epochs},
                    {"batch_size", options.batch_size},
                    {"learning_rate", options.learning_rate},
                    {"lr_schedule", options.lr_schedule},
                    {"seed", options.seed},
                    {"val_split", options.val_split},
                    {"train_limit", options.train_limit}}},
      {"libraries", library_versions()},
  };
  if (!history.empty()) {
    const auto& last = history.back();
    card["results"] = {{"epochs", last.epoch},
                       {"train_accuracy", last.train_accuracy},
                       {"test_accuracy", last.test_accuracy},
                       {"test_loss", last.test_loss}};
    if (last.has_validation) card["results"]["val_accuracy"] = last.val_accuracy;
  }
  return card;
}

}  // namespace

TrainOptions recipe_options(const std::string& recipe) {
  TrainOptions o;
  o.recipe = recipe;
  if (recipe == "default") return o;
  if (recipe == "original") {
    o.lr_schedule = "constant";
    return o;
  }
  if (recipe == "best") {
    o.epochs = 150;
    o.batch_size = 128;
    o.learning_rate = 0.002;
    o.weight_decay = 0.01;
    o.label_smoothing = 0.05;
    o.augment = 1.0;
    // One core trains, the other augments the next epoch: OpenBLAS' second thread would only
    // fight the augmentation thread for it (measured: twice the time per epoch).
    o.threads = 1;
    return o;
  }
  if (recipe == "fast") {
    o.epochs = 6;
    o.batch_size = 256;
    o.learning_rate = 0.003;
    return o;
  }
  throw UsageError("--recipe " + recipe + ": must be original, default, best or fast");
}

void validate(const TrainOptions& o) {
  require(o.epochs >= 1 && o.epochs <= 100000, "epochs", std::to_string(o.epochs),
          "must be an integer from 1 to 100000");
  require(o.batch_size >= 1 && o.batch_size <= 60000, "batch-size", std::to_string(o.batch_size),
          "must be an integer from 1 to 60000");
  require(std::isfinite(o.learning_rate) && o.learning_rate > 0 && o.learning_rate <= 10, "lr",
          to_text(o.learning_rate), "must be a finite number above 0 and at most 10");
  require(std::isfinite(o.dropout) && o.dropout >= 0 && o.dropout < 1, "dropout",
          to_text(o.dropout), "must be at least 0 and below 1");
  require(std::isfinite(o.val_split) && o.val_split >= 0 && o.val_split < 1, "val-split",
          to_text(o.val_split), "must be at least 0 and below 1");
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0 && o.weight_decay <= 1,
          "weight-decay", to_text(o.weight_decay), "must be from 0 (none) to 1");
  require(std::isfinite(o.label_smoothing) && o.label_smoothing >= 0 && o.label_smoothing < 1,
          "label-smoothing", to_text(o.label_smoothing), "must be at least 0 and below 1");
  require(std::isfinite(o.augment) && o.augment >= 0 && o.augment <= 2, "augment",
          to_text(o.augment), "must be a strength from 0 (none) to 2");
  require(o.seed >= 0, "seed", std::to_string(o.seed), "must not be negative");
  require(o.threads >= 0 && o.threads <= 1024, "threads", std::to_string(o.threads),
          "must be from 0 (library default) to 1024");
  require(o.train_limit >= 0, "train-limit", std::to_string(o.train_limit), "must not be negative");
  require(o.test_limit >= 0, "test-limit", std::to_string(o.test_limit), "must not be negative");
  require(!o.data_dir.empty(), "data-dir", "''", "must not be empty");
  require(!o.out_dir.empty(), "out-dir", "''", "must not be empty");
  parse_hidden_sizes(o.hidden);
  parse_lr_schedule(o.lr_schedule);
  recipe_options(o.recipe);
}

std::vector<std::pair<std::string, std::string>> describe(const TrainOptions& o) {
  return {{"recipe", o.recipe},
          {"data_dir", o.data_dir.string()},
          {"out_dir", o.out_dir.string()},
          {"hidden", o.hidden},
          {"dropout", to_text(o.dropout)},
          {"epochs", std::to_string(o.epochs)},
          {"batch_size", std::to_string(o.batch_size)},
          {"lr", to_text(o.learning_rate)},
          {"lr_schedule", o.lr_schedule},
          {"weight_decay", to_text(o.weight_decay)},
          {"label_smoothing", to_text(o.label_smoothing)},
          {"augment", describe_augmentation(o.augment)},
          {"val_split", to_text(o.val_split)},
          {"seed", std::to_string(o.seed)},
          {"device", o.device},
          {"threads", std::to_string(o.threads)},
          {"resume", o.resume ? "true" : "false"},
          {"train_limit", std::to_string(o.train_limit)},
          {"test_limit", std::to_string(o.test_limit)}};
}

TrainOutputs::TrainOutputs(const fs::path& out_dir)
    : torchscript(out_dir / "mnist_mlp.pt"),
      keras_model(out_dir / "image_recognition.h5"),
      keras_weights(out_dir / "weights.h5"),
      train_log(out_dir / "train_log.csv"),
      training_curves(out_dir / "training_curves.png"),
      checkpoint(out_dir / "checkpoint.pt") {}

std::string describe_interruption(const TrainSummary::Interruption& interruption,
                                  const std::vector<std::string>& command_line) {
  std::string resume;
  bool has_resume = false;
  for (const auto& argument : command_line) {
    resume += (resume.empty() ? "" : " ") + shell_quoted(argument);
    has_resume = has_resume || argument == "--resume";
  }
  if (!has_resume) resume += " --resume";
  return "interrupted at epoch " + std::to_string(interruption.epoch) + ", batch " +
         std::to_string(interruption.batches_done) + " of " + std::to_string(interruption.batches) +
         ": checkpoint written to " + interruption.checkpoint.string() + "; resume with: " + resume;
}

TrainSummary run_training(const TrainOptions& options, const c10::Device& device,
                          TrainingObserver& observer, const std::function<bool()>& should_stop) {
  const auto start = std::chrono::steady_clock::now();
  validate(options);
  const ModelSpec spec = model_spec(options);
  const TrainOutputs outputs(options.out_dir);
  // Fail before hours of training, not after.
  ensure_writable_directory(options.out_dir);

  std::vector<EpochReport> history;
  if (options.resume) history = resume_history(options, outputs.checkpoint);

  // The training set stays in bytes, as the files hold it: a quarter of the memory of floats,
  // converted batch by batch (scripts/bench-notes.md).
  const auto split = split_validation(
      load_mnist(options.data_dir, MnistSplit::kTrain, options.train_limit, PixelFormat::kBytes),
      options.val_split);
  const auto test = load_mnist(options.data_dir, MnistSplit::kTest, options.test_limit);

  TrainSettings settings;
  settings.batch_size = options.batch_size;
  settings.learning_rate = options.learning_rate;
  settings.schedule = parse_lr_schedule(options.lr_schedule);
  settings.total_epochs = options.epochs;
  settings.weight_decay = options.weight_decay;
  settings.label_smoothing = options.label_smoothing;
  settings.seed = static_cast<uint64_t>(options.seed);
  settings.should_stop = should_stop;
  Trainer trainer(spec, settings, device);
  if (options.resume) trainer.load_checkpoint(outputs.checkpoint);

  std::optional<AugmentedEpochs> augmented;
  if (options.augment > 0) {
    augmented.emplace(MnistTensors{pixels_in_unit_range(split.train.images), split.train.labels},
                      augment_params_for_strength(options.augment),
                      static_cast<uint64_t>(options.seed), options.epochs);
  }

  TrainSummary summary;
  const auto note_augmentation = [&]() {
    if (!augmented) return;
    summary.augmented = true;
    summary.augment_wait_ahead_seconds = augmented->seconds_waited_ahead();
    summary.augment_wait_seconds = augmented->seconds_waited();
    summary.augment_work_seconds = augmented->seconds_working();
  };
  double training_seconds = 0;
  int64_t samples_trained = 0;
  const auto stopped = [&](int64_t epoch, const EpochTrainStats& stats) {
    summary.interrupted =
        TrainSummary::Interruption{epoch, stats.batches_done, stats.batches, outputs.checkpoint};
    summary.files_written = {outputs.checkpoint};
    note_augmentation();
    return summary;
  };
  for (int64_t epoch = static_cast<int64_t>(history.size()) + 1; epoch <= options.epochs; ++epoch) {
    const auto stats =
        trainer.train_epoch(epoch, augmented ? augmented->epoch(epoch) : split.train, observer);
    if (!stats.finished) {
      trainer.save_checkpoint(outputs.checkpoint, epoch - 1, checkpoint_metadata(options, history).dump());
      return stopped(epoch, stats);
    }
    const auto evaluation_start = std::chrono::steady_clock::now();
    EpochReport report;
    report.epoch = epoch;
    report.epochs = options.epochs;
    report.train_loss = stats.loss;
    report.train_accuracy = stats.accuracy;
    if (split.validation.size() > 0) {
      const auto val = evaluate_model(trainer.model(), split.validation, device);
      report.has_validation = true;
      report.val_loss = val.loss;
      report.val_accuracy = val.accuracy;
    }
    const auto tested = evaluate_model(trainer.model(), test, device);
    report.test_loss = tested.loss;
    report.test_accuracy = tested.accuracy;
    report.samples_per_second = stats.seconds > 0 ? stats.samples / stats.seconds : 0;
    report.seconds = stats.seconds + std::chrono::duration<double>(
                                          std::chrono::steady_clock::now() - evaluation_start)
                                          .count();
    history.push_back(report);
    observer.on_epoch_end(report);

    write_train_log(outputs.train_log, history);
    trainer.save_checkpoint(outputs.checkpoint, epoch, checkpoint_metadata(options, history).dump());

    training_seconds += stats.seconds;
    samples_trained += stats.samples;
    ++summary.epochs_trained;
    if (stats.stop_requested && epoch < options.epochs) return stopped(epoch, stats);
  }

  const std::string card = model_card(options, spec, history).dump(2);
  export_torchscript(trainer.model(), outputs.torchscript, card);
  const auto keras_layers = to_keras_layers(trainer.model());
  write_keras_h5(outputs.keras_model, keras_layers, KerasH5Kind::kFullModel);
  write_keras_h5(outputs.keras_weights, keras_layers, KerasH5Kind::kWeightsOnly);
  draw_training_curves(outputs.train_log, outputs.training_curves);

  if (!history.empty()) {
    summary.train_accuracy = history.back().train_accuracy;
    summary.test_accuracy = history.back().test_accuracy;
    summary.test_loss = history.back().test_loss;
  }
  note_augmentation();
  summary.samples_per_second = training_seconds > 0 ? samples_trained / training_seconds : 0;
  summary.files_written = {outputs.torchscript, outputs.keras_model, outputs.keras_weights,
                           outputs.train_log,   outputs.training_curves, outputs.checkpoint};
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace mnist
