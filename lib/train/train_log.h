// models/train_log.csv: one row per finished epoch, rewritten whole (atomically) after each
// epoch so a resumed run continues the same log. The one definition of its format: written by
// mnist-train, read back for the training-curves plot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "train/training_observer.h"

namespace mnist {

// The header line; val columns are empty when there is no validation split.
inline constexpr const char* kTrainLogHeader =
    "epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds";
inline constexpr size_t kTrainLogColumns = 8;

void write_train_log(const std::filesystem::path& path, const std::vector<EpochReport>& history);

struct TrainLogRow {
  int64_t epoch = 0;
  double train_loss = 0;
  double train_accuracy = 0;
  std::optional<double> val_loss;  // empty when the run had no validation split
  std::optional<double> val_accuracy;
  double test_loss = 0;
  double test_accuracy = 0;
  double seconds = 0;
};

// Parses train_log.csv. Throws RuntimeError naming the file (and line) when it is missing, has
// another header, a malformed number or no rows.
std::vector<TrainLogRow> read_train_log(const std::filesystem::path& csv);

// The same from the log's text; `name` stands for the file in messages.
std::vector<TrainLogRow> parse_train_log(const std::string& text, const std::string& name);

}  // namespace mnist
