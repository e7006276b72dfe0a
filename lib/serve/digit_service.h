// mnist-serve's HTTP service: the model loaded once behind a batching queue, the JSON API
// (POST /v1/predict, GET /v1/model, /healthz, /metrics), the draw-a-digit page at GET /, and
// every refusal as a JSON error with its status. Handlers only parse the request, call the same
// library functions the CLIs call, and answer; limits (body, pixels, time, queue) are checked
// before the work they guard.
// One POST /v1/predict through the files: digit_service.cpp's predict() hands the body to
// request_body.h (JSON, multipart or raw image: limits, decoding, image/image_preprocess.h's
// MNIST-style preparation, giving a PreparedRequest with 784 pixels), then to
// batching_classifier.h (queued, run with whatever else arrived in a batch through
// inference/digit_classifier.h), and answers with prediction_answer.h's JSON; service_metrics.h
// counts it. An HttpError thrown on the way becomes its status and a JSON error.
// Not for: options and signals (cli/serve_command.h).
#pragma once

#include <c10/core/Device.h>
#include <torch/csrc/jit/api/module.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "serve/batching_classifier.h"
#include "serve/prediction_answer.h"
#include "serve/service_metrics.h"

namespace mnist {

struct ServiceOptions {
  RequestLimits limits;
  BatchingOptions batching;
  int http_threads = 64;  // connections served at once; more wait for a free thread
  std::chrono::seconds read_timeout{5};  // a client that sends nothing for this long is dropped
  std::chrono::seconds write_timeout{5};
  int keep_alive_requests = 100;  // requests on one connection before it is closed
  double uncertain_below = kDefaultUncertainBelow;  // answers below are marked uncertain (0: never)
};

class DigitService {
 public:
  // model_card_json: served at GET /v1/model ("{}" when the model has none).
  DigitService(torch::jit::Module model, const std::string& model_label, std::string model_card_json,
               const c10::Device& device, const ServiceOptions& options);
  ~DigitService();
  DigitService(const DigitService&) = delete;
  DigitService& operator=(const DigitService&) = delete;

  // Binds host:port (port 0: a free one) and returns the port. Throws RuntimeError naming the
  // address when it cannot.
  int bind(const std::string& host, int port);

  // Serves until stop(); returns once every connection accepted before it is answered (after a
  // stop() that came first, those the kernel took into the listen backlog since bind()). Throws
  // RuntimeError when the listening socket fails without a stop() (after answering the same).
  void run();

  // Stops accepting connections: those already waiting in the listen backlog are still accepted
  // and, like those waiting for an HTTP thread, answered, each batch without waiting for its
  // window; later answers say "Connection: close". Callable from any thread, more than once,
  // also before run().
  void stop();

  const ServiceMetrics& metrics() const;
  // Requests handed to the model and waiting for their batch, now.
  int64_t waiting_for_model() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The page, embedded at build time from lib/serve/page/index.html.
const std::string& draw_digit_page();

}  // namespace mnist
