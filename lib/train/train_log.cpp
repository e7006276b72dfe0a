// The CSV training log, written and read here alone; see train_log.h.
#include "train/train_log.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/text.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

double parse_number(const std::string& field, const std::string& where, const char* column) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(field.c_str(), &end);
  if (field.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
    throw RuntimeError(where + ": " + column + " '" + field + "' is not a number");
  }
  return value;
}

std::optional<double> parse_optional(const std::string& field, const std::string& where,
                                     const char* column) {
  if (field.empty()) return std::nullopt;
  return parse_number(field, where, column);
}

}  // namespace

void write_train_log(const fs::path& path, const std::vector<EpochReport>& history) {
  std::string text = std::string(kTrainLogHeader) + "\n";
  for (const auto& r : history) {
    char row[256];
    if (r.has_validation) {
      std::snprintf(row, sizeof row, "%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f\n",
                    static_cast<long long>(r.epoch), r.train_loss, r.train_accuracy, r.val_loss,
                    r.val_accuracy, r.test_loss, r.test_accuracy, r.seconds);
    } else {
      std::snprintf(row, sizeof row, "%lld,%.6f,%.6f,,,%.6f,%.6f,%.3f\n",
                    static_cast<long long>(r.epoch), r.train_loss, r.train_accuracy, r.test_loss,
                    r.test_accuracy, r.seconds);
    }
    text += row;
  }
  write_file_atomically(path, text);
}

std::vector<TrainLogRow> read_train_log(const fs::path& csv) {
  std::ifstream in(csv, std::ios::binary);
  if (!in) throw RuntimeError(csv.string() + ": cannot read the training log (train with mnist-train)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RuntimeError(csv.string() + ": read failed");
  return parse_train_log(text.str(), csv.string());
}

std::vector<TrainLogRow> parse_train_log(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != kTrainLogHeader) {
    throw RuntimeError(name + ": not a training log written by mnist-train (header must be '" +
                       std::string(kTrainLogHeader) + "')");
  }
  std::vector<TrainLogRow> rows;
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = name + ":" + std::to_string(line_number);
    const auto fields = split_text(line, ',');
    if (fields.size() != kTrainLogColumns) {
      throw RuntimeError(where + ": expected " + std::to_string(kTrainLogColumns) + " comma-separated fields, found " +
                         std::to_string(fields.size()));
    }
    TrainLogRow row;
    const double epoch = parse_number(fields[0], where, "epoch");
    if (epoch < 1 || epoch != std::floor(epoch) || epoch > 1e9) {
      throw RuntimeError(where + ": epoch '" + fields[0] + "' is not a positive integer");
    }
    row.epoch = static_cast<int64_t>(epoch);
    row.train_loss = parse_number(fields[1], where, "train_loss");
    row.train_accuracy = parse_number(fields[2], where, "train_accuracy");
    row.val_loss = parse_optional(fields[3], where, "val_loss");
    row.val_accuracy = parse_optional(fields[4], where, "val_accuracy");
    row.test_loss = parse_number(fields[5], where, "test_loss");
    row.test_accuracy = parse_number(fields[6], where, "test_accuracy");
    row.seconds = parse_number(fields[7], where, "seconds");
    rows.push_back(row);
  }
  if (rows.empty()) throw RuntimeError(name + ": the training log has no epochs yet");
  return rows;
}

}  // namespace mnist
