// The model behind a server: requests that arrive together go through it as one batch. Callers on
// many threads hand in a prepared digit and wait; one worker thread takes what is waiting (up to
// max_batch, waiting at most `window` after the first for more), runs one forward pass and hands
// each caller its answer. A bounded queue turns overload into a quick refusal instead of
// unbounded waiting.
// Not for: HTTP (digit_service.h), preparing images (image/image_preprocess.h).
#pragma once

#include <c10/core/Device.h>
#include <torch/csrc/jit/api/module.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inference/digit_classifier.h"

namespace mnist {

struct BatchingOptions {
  int64_t max_batch = 32;                         // 1: every request alone
  std::chrono::microseconds window{2000};         // how long the first request waits for company
  int64_t max_queue = 1024;                       // waiting requests before refusals
};

// classify() when max_queue requests already wait.
struct QueueFullError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TimedAnswer {
  DigitAnswer answer;
  double queue_seconds = 0;  // from the hand-in until its batch started
  double model_seconds = 0;  // the batch's forward pass
  int64_t batch_size = 0;
};

class BatchingClassifier {
 public:
  // on_batch is called (on the worker thread) with the size of every batch run, before its
  // callers get their answers: whoever has an answer finds its batch counted.
  BatchingClassifier(torch::jit::Module model, std::string model_label, const c10::Device& device,
                     const BatchingOptions& options,
                     std::function<void(int64_t batch_size)> on_batch = nullptr);
  // Answers everything still waiting, then stops the worker.
  ~BatchingClassifier();
  BatchingClassifier(const BatchingClassifier&) = delete;
  BatchingClassifier& operator=(const BatchingClassifier&) = delete;

  // Blocks until the digit (kImagePixels floats in [0, 1]) is classified. Throws QueueFullError,
  // or what the model threw (RuntimeError naming the model).
  TimedAnswer classify(std::vector<float> pixels);

  // From now on a batch runs as soon as it has a request: a stopping server holds no answer back
  // for company. Callable from any thread, more than once.
  void stop_waiting_for_company();

  // Requests handed in and not yet taken into a batch.
  int64_t waiting() const;

 private:
  struct Pending {
    std::vector<float> pixels;
    std::promise<TimedAnswer> answer;
    std::chrono::steady_clock::time_point handed_in;
  };

  void work();
  std::vector<Pending> next_batch();
  void run_batch(std::vector<Pending>& batch);

  torch::jit::Module model_;
  std::string model_label_;
  c10::Device device_;
  BatchingOptions options_;
  std::function<void(int64_t)> on_batch_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool without_window_ = false;
  std::thread worker_;
};

}  // namespace mnist
