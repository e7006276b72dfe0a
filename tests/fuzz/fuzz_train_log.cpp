// models/train_log.csv as mnist-evaluate --curves reads it back.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "fuzz_input.h"
#include "train/train_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto rows = mnist::parse_train_log(std::string(mnist::fuzz::as_text(data, size)), "train_log.csv");
    mnist::fuzz::require(!rows.empty(), "an accepted log has rows");
    for (const auto& row : rows) {
      mnist::fuzz::require(row.epoch >= 1 && std::isfinite(row.train_loss) && std::isfinite(row.test_accuracy),
                           "rows hold positive epochs and finite numbers");
    }
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
