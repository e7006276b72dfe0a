// mnist-serve's options and parser; see serve_options.h.
#include "cli/serve_options.h"

#include <cmath>
#include <cxxopts.hpp>
#include <sstream>

#include "cli/command_line.h"
#include "core/errors.h"
#include "core/option_values.h"

namespace mnist {

namespace {

cxxopts::Options serve_option_spec() {
  const ServeOptions d;
  cxxopts::Options spec("mnist-serve", "Serve the MNIST model over HTTP: a JSON API (POST /v1/predict "
                                       "with an image or pixels) and a page where you draw a digit.");
  spec.add_options()
    ("model", "TorchScript model written by mnist-train, or a Keras .h5 model", cxxopts::value<std::string>()->default_value(d.model.string()))
    ("keras-input-range", kKerasInputRangeHelp, cxxopts::value<std::string>()->default_value(to_string(d.keras_input_range)))
    ("host", "address to listen on (0.0.0.0: every interface)", cxxopts::value<std::string>()->default_value(d.host))
    ("port", "port to listen on (0: any free port, printed at start)", cxxopts::value<std::string>()->default_value(std::to_string(d.port)))
    ("max-batch", "requests per forward pass of the model (1: no batching)", cxxopts::value<std::string>()->default_value(std::to_string(d.max_batch)))
    ("batch-window", "milliseconds the first request of a batch waits for more", cxxopts::value<std::string>()->default_value(option_value_text(d.batch_window_ms)))
    ("max-queue", "requests waiting for the model before the service answers 503", cxxopts::value<std::string>()->default_value(std::to_string(d.max_queue)))
    ("max-body", "largest request body in bytes (413 above)", cxxopts::value<std::string>()->default_value(std::to_string(d.max_body)))
    ("max-pixels", "largest image in pixels, width x height, read from its header (413 above)", cxxopts::value<std::string>()->default_value(std::to_string(d.max_pixels)))
    ("http-threads", "connections served at once", cxxopts::value<std::string>()->default_value(std::to_string(d.http_threads)))
    ("timeout", "seconds a connection may stay silent while a request is read or written", cxxopts::value<std::string>()->default_value(std::to_string(d.timeout_s)))
    ("device", "cpu, auto, cuda or cuda:N", cxxopts::value<std::string>()->default_value(d.device))
    ("threads", "CPU threads for the model (0: the libraries' defaults)", cxxopts::value<std::string>()->default_value(std::to_string(d.threads)))
    ("uncertain-below", "mark answers whose probability is below P as uncertain, with the runner-up (\"4 or 9?\"); 0: never", cxxopts::value<std::string>()->default_value(option_value_text(d.uncertain_below)), "P")
    ("h,help", "show this help");
  return spec;
}

}  // namespace

void validate(const ServeOptions& o) {
  require_option(!o.model.empty(), "model", "''", "must not be empty");
  require_option(!o.host.empty(), "host", "''", "must not be empty");
  require_option(o.port >= 0 && o.port <= 65535, "port", std::to_string(o.port), "must be from 0 (any free port) to 65535");
  require_option(o.max_batch >= 1 && o.max_batch <= 4096, "max-batch", std::to_string(o.max_batch),
          "must be an integer from 1 (no batching) to 4096");
  require_option(std::isfinite(o.batch_window_ms) && o.batch_window_ms >= 0 && o.batch_window_ms <= 1000,
          "batch-window", option_value_text(o.batch_window_ms), "must be from 0 to 1000 milliseconds");
  require_option(o.max_queue >= 1 && o.max_queue <= 1'000'000, "max-queue", std::to_string(o.max_queue),
          "must be an integer from 1 to 1000000");
  require_option(o.max_body >= 1024 && o.max_body <= (int64_t{1} << 30), "max-body", std::to_string(o.max_body),
          "must be from 1024 bytes to 1 GiB");
  require_option(o.max_pixels >= 1 && o.max_pixels <= 100'000'000, "max-pixels", std::to_string(o.max_pixels),
          "must be from 1 to 100000000");
  require_option(o.http_threads >= 1 && o.http_threads <= 1024, "http-threads", std::to_string(o.http_threads),
          "must be an integer from 1 to 1024");
  require_option(o.timeout_s >= 1 && o.timeout_s <= 3600, "timeout", std::to_string(o.timeout_s),
          "must be from 1 to 3600 seconds");
  require_option(o.threads >= 0 && o.threads <= 1024, "threads", std::to_string(o.threads),
          "must be from 0 (library default) to 1024");
  check_probability_option("uncertain-below", o.uncertain_below);
}

std::vector<std::pair<std::string, std::string>> describe(const ServeOptions& o) {
  return {{"model", o.model.string()},
          {"keras_input_range", to_string(o.keras_input_range)},
          {"host", o.host},
          {"port", std::to_string(o.port)},
          {"max_batch", std::to_string(o.max_batch)},
          {"batch_window_ms", option_value_text(o.batch_window_ms)},
          {"max_queue", std::to_string(o.max_queue)},
          {"max_body", std::to_string(o.max_body)},
          {"max_pixels", std::to_string(o.max_pixels)},
          {"http_threads", std::to_string(o.http_threads)},
          {"timeout_s", std::to_string(o.timeout_s)},
          {"device", o.device},
          {"threads", std::to_string(o.threads)},
          {"uncertain_below", option_value_text(o.uncertain_below)}};
}

std::optional<ServeOptions> parse_serve_args(const std::vector<std::string>& args, std::ostream& help_out) {
  cxxopts::Options spec = serve_option_spec();
  const auto parsed = parse_or_help(spec, args, help_out);
  if (!parsed) return std::nullopt;
  reject_unmatched(*parsed);
  const auto text = [&](const char* name) { return (*parsed)[name].as<std::string>(); };
  const auto integer = [&](const char* name) { return parse_integer_option(name, text(name)); };
  ServeOptions o;
  o.model = text("model");
  o.keras_input_range = parse_keras_input_range(text("keras-input-range"));
  o.host = text("host");
  o.port = integer("port");
  o.max_batch = integer("max-batch");
  o.batch_window_ms = parse_real_option("batch-window", text("batch-window"));
  o.max_queue = integer("max-queue");
  o.max_body = integer("max-body");
  o.max_pixels = integer("max-pixels");
  o.http_threads = integer("http-threads");
  o.timeout_s = integer("timeout");
  o.device = text("device");
  o.threads = integer("threads");
  o.uncertain_below = parse_real_option("uncertain-below", text("uncertain-below"));
  validate(o);
  return o;
}

}  // namespace mnist
