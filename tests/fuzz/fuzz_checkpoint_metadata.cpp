// The JSON metadata of a checkpoint, as mnist-train --resume reads it, against the identity of
// a run asking to resume (the first byte says how many epochs the checkpoint claims).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "fuzz_input.h"
#include "train/checkpoint_history.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int64_t epochs_done = static_cast<int64_t>(mnist::fuzz::variant_of(data, size, 4));
  const std::string asked = R"({"hidden":"300,100","seed":42,"learning_rate":0.001,"epochs":null})";
  try {
    const auto history =
        mnist::checkpoint_history(std::string(mnist::fuzz::as_text(data, size)), asked, epochs_done, "checkpoint.pt");
    mnist::fuzz::require(static_cast<int64_t>(history.size()) == epochs_done, "the history holds the epochs done");
  } catch (const mnist::UsageError&) {
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
