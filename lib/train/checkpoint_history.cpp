// A checkpoint's identity and history as JSON text; see checkpoint_history.h.
#include "train/checkpoint_history.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "core/errors.h"

namespace mnist {
using nlohmann::json;

namespace {

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

// A history row, or nothing when it is not one: a key missing, a value of another type, an epoch
// that is not a whole number (nlohmann would convert 2e35 to int64 with undefined behaviour).
std::optional<EpochReport> from_json(const json& j) {
  if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer()) return std::nullopt;
  try {
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
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// "key=value" for every key whose stored value differs from the asked one, both sides.
void require_same_identity(const json& stored, const json& asked, const std::string& checkpoint_name) {
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
    throw UsageError("--resume: " + checkpoint_name + " was trained with " + was + "; this run asks for " + now +
                     ". Use the same options, or train without --resume");
  }
}

}  // namespace

std::string checkpoint_metadata_text(const std::string& identity_json, const std::vector<EpochReport>& history) {
  json rows = json::array();
  for (const auto& row : history) rows.push_back(to_json(row));
  return json{{"identity", json::parse(identity_json)}, {"history", rows}}.dump();
}

std::vector<EpochReport> checkpoint_history(const std::string& metadata, const std::string& asked_identity_json,
                                            int64_t epochs_done, const std::string& checkpoint_name) {
  const json document = json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw RuntimeError(checkpoint_name + ": checkpoint metadata is not valid JSON");
  const auto unreadable = [&](const std::string& why) {
    return RuntimeError(checkpoint_name + ": checkpoint metadata " + why + " (not written by this mnist-train?)");
  };
  if (!document.is_object() || !document.contains("identity") || !document["identity"].is_object()) {
    throw unreadable("has no identity object");
  }
  if (!document.contains("history") || !document["history"].is_array()) throw unreadable("has no history array");
  require_same_identity(document["identity"], json::parse(asked_identity_json), checkpoint_name);
  std::vector<EpochReport> history;
  for (const auto& row : document["history"]) {
    const std::optional<EpochReport> report = from_json(row);
    if (!report) throw unreadable("has a malformed history row");
    history.push_back(*report);
  }
  if (static_cast<int64_t>(history.size()) != epochs_done) {
    throw RuntimeError(checkpoint_name + ": checkpoint history is inconsistent");
  }
  return history;
}

}  // namespace mnist
