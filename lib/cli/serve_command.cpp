// The mnist-serve command; see serve_command.h.
#include "cli/serve_command.h"

#include <atomic>
#include <chrono>
#include <ostream>
#include <thread>

#include "cli/serve_options.h"
#include "export/model_file.h"
#include "export/torchscript.h"
#include "runtime/device.h"
#include "runtime/runtime_info.h"
#include "serve/digit_service.h"

namespace mnist {

namespace {

ServiceOptions service_options(const ServeOptions& options) {
  ServiceOptions service;
  service.limits.max_body_bytes = options.max_body;
  service.limits.max_pixels = options.max_pixels;
  service.batching.max_batch = options.max_batch;
  service.batching.window = std::chrono::microseconds(static_cast<int64_t>(options.batch_window_ms * 1000));
  service.batching.max_queue = options.max_queue;
  service.http_threads = static_cast<int>(options.http_threads);
  service.read_timeout = std::chrono::seconds(options.timeout_s);
  service.write_timeout = std::chrono::seconds(options.timeout_s);
  service.uncertain_below = options.uncertain_below;
  return service;
}

// Serves until `stop` asks; polls, since a signal handler may only set a flag. When run() throws
// (its listening socket failed), the watcher is joined first: a joinable std::thread destroyed
// by the exception would abort the process instead of the one-line error.
void serve_until_stopped(DigitService& service, const StopSource& stop) {
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished) {
      if (stop.requested && stop.requested()) service.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const auto join_watcher = [&] {
    finished = true;
    watcher.join();
  };
  try {
    service.run();
  } catch (...) {
    join_watcher();
    throw;
  }
  join_watcher();
}

}  // namespace

int run_serve_cli(const std::vector<std::string>& args, const Console& console, const StopSource& stop) {
  return run_cli("mnist-serve", console.err, [&]() {
    const auto options = parse_serve_args(args, console.out);
    if (!options) return 0;
    print_options(console.out, describe(*options));
    const auto device = resolve_device(options->device);
    set_thread_count(static_cast<int>(options->threads));
    console.out << "using device=" << device.str() << std::endl;

    auto model = load_model_file(options->model, options->keras_input_range);
    std::string card = model.card_json.empty() ? "{}" : model.card_json;
    DigitService service(std::move(model.module), options->model.string(), card, device, service_options(*options));
    const int port = service.bind(options->host, static_cast<int>(options->port));
    console.out << "listening on http://" << options->host << ":" << port << std::endl;
    serve_until_stopped(service, stop);
    console.out << "stopped: " << service.metrics().batched_requests() << " digits classified in "
                << service.metrics().batches() << " batches" << std::endl;
    return 0;
  });
}

}  // namespace mnist
