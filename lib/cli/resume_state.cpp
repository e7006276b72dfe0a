// Checkpoint identity and history; see resume_state.h.
#include "cli/resume_state.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "train/trainer.h"

namespace mnist {
using nlohmann::json;

namespace {

// Null when 0, so that checkpoints written before an option existed (without its key) still
// resume when the option is left at 0.
json unless_zero(double value) { return value == 0 ? json() : json(value); }

// What must be equal between a checkpoint and the run resuming it for the result to be the run
// the checkpoint came from. The recipe is not: the values it resolved to are. Values are stored
// as the options spell them, so checkpoints of earlier versions compare equal.
json resume_identity(const TrainOptions& options) {
  return {{"hidden", format_hidden_sizes(options.hidden)},
          {"dropout", options.dropout},
          {"batch_size", options.batch_size},
          {"learning_rate", options.learning_rate},
          {"seed", options.seed},
          {"val_split", options.val_split},
          {"train_limit", options.train_limit},
          {"lr_schedule", to_string(options.lr_schedule)},
          {"weight_decay", unless_zero(options.weight_decay)},
          {"label_smoothing", unless_zero(options.label_smoothing)},
          {"augment", unless_zero(options.augment)},
          // images held out for calibration are not trained on
          {"calibration_holdout", unless_zero(calibration_holdout(options))},
          // a cosine schedule spans the whole run, so its length is part of the run
          {"epochs", options.lr_schedule == LrSchedule::kCosine ? json(options.epochs) : json()}};
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

// "key=value" for every key whose stored value differs from the asked one, both sides.
void require_same_identity(const json& stored, const json& asked, const std::filesystem::path& checkpoint) {
  std::string was;
  std::string now;
  for (const auto& [key, value] : asked.items()) {
    const json stored_value = stored.value(key, json());
    if (stored_value != value) {
      was += (was.empty() ? "" : ", ") + key + "=" + stored_value.dump();
      now += (now.empty() ? "" : ", ") + key + "=" + value.dump();
    }
  }
  if (!was.empty()) {
    throw UsageError("--resume: " + checkpoint.string() + " was trained with " + was +
                     "; this run asks for " + now +
                     ". Use the same options, or train without --resume");
  }
}

}  // namespace

std::string checkpoint_metadata(const TrainOptions& options, const std::vector<EpochReport>& history) {
  json rows = json::array();
  for (const auto& row : history) rows.push_back(to_json(row));
  return json{{"identity", resume_identity(options)}, {"history", rows}}.dump();
}

std::vector<EpochReport> resume_history(const TrainOptions& options,
                                        const std::filesystem::path& checkpoint) {
  const auto header = Trainer::read_checkpoint_header(checkpoint);
  json metadata;
  try {
    metadata = json::parse(header.metadata);
  } catch (const json::exception&) {
    throw RuntimeError(checkpoint.string() + ": checkpoint metadata is not valid JSON");
  }
  require_same_identity(metadata.at("identity"), resume_identity(options), checkpoint);
  std::vector<EpochReport> history;
  for (const auto& row : metadata.at("history")) history.push_back(from_json(row));
  if (static_cast<int64_t>(history.size()) != header.epochs_done) {
    throw RuntimeError(checkpoint.string() + ": checkpoint history is inconsistent");
  }
  return history;
}

}  // namespace mnist
