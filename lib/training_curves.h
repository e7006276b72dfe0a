// training_curves.png: loss and accuracy per epoch (train, validation when present, test) side
// by side, read from the train_log.csv that mnist-train writes (see train_log.h for its columns).
// Not for: writing the log (train_log.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mnist {

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

// PNG bytes of the two-panel plot. Throws std::invalid_argument for no rows.
std::vector<unsigned char> render_training_curves(const std::vector<TrainLogRow>& rows,
                                                  const std::string& title);

// read_train_log(csv), drawn and written to png atomically.
void draw_training_curves(const std::filesystem::path& csv, const std::filesystem::path& png);

}  // namespace mnist
