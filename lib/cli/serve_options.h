// The options of mnist-serve and the parser that turns argv into them, typed once here.
// Not for: serving (serve_command.h, serve/digit_service.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/keras_h5.h"
#include "inference/digit_classifier.h"

namespace mnist {

struct ServeOptions {
  std::filesystem::path model = "models/mnist_mlp.pt";  // TorchScript, or a Keras .h5
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 model
  std::string host = "127.0.0.1";  // loopback only unless asked: the service has no authentication
  int64_t port = 8080;             // 0: any free port, printed at start
  int64_t max_batch = 32;          // requests per forward pass; 1 turns batching off
  double batch_window_ms = 2;      // how long the first request of a batch waits for more
  int64_t max_queue = 1024;        // requests waiting for the model before 503
  int64_t max_body = 4 << 20;      // bytes
  int64_t max_pixels = 16'000'000;  // width x height of an image, from its header
  int64_t http_threads = 64;
  int64_t timeout_s = 5;  // read and write timeout per connection
  std::string device = "cpu";
  int64_t threads = 1;  // LibTorch/OpenBLAS threads for the model (0: their defaults)
  // Answers below this probability are marked uncertain, with the runner-up (0: never).
  double uncertain_below = kDefaultUncertainBelow;
};

// Throws UsageError naming the first option whose value is out of range.
void validate(const ServeOptions& options);

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const ServeOptions& options);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming the option that is wrong.
std::optional<ServeOptions> parse_serve_args(const std::vector<std::string>& args,
                                             std::ostream& help_out);

}  // namespace mnist
