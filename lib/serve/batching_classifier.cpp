// Batching requests through the model; see batching_classifier.h.
#include "serve/batching_classifier.h"

#include <torch/torch.h>

#include <exception>
#include <utility>

#include "core/clock.h"

namespace mnist {

BatchingClassifier::BatchingClassifier(torch::jit::Module model, std::string model_label,
                                       const c10::Device& device, const BatchingOptions& options,
                                       std::function<void(int64_t)> on_batch)
    : model_(std::move(model)),
      model_label_(std::move(model_label)),
      device_(device),
      options_(options),
      on_batch_(std::move(on_batch)) {
  model_.eval();
  model_.to(device_);
  worker_ = std::thread([this] { work(); });
}

BatchingClassifier::~BatchingClassifier() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_all();
  worker_.join();
}

TimedAnswer BatchingClassifier::classify(std::vector<float> pixels) {
  std::future<TimedAnswer> answer;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int64_t>(queue_.size()) >= options_.max_queue) {
      throw QueueFullError(std::to_string(queue_.size()) + " requests are waiting for the model");
    }
    Pending& pending = queue_.emplace_back();
    pending.pixels = std::move(pixels);
    pending.handed_in = std::chrono::steady_clock::now();
    answer = pending.answer.get_future();
  }
  arrived_.notify_one();
  return answer.get();
}

void BatchingClassifier::stop_waiting_for_company() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    without_window_ = true;
  }
  arrived_.notify_all();
}

int64_t BatchingClassifier::waiting() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(queue_.size());
}

void BatchingClassifier::work() {
  for (;;) {
    std::vector<Pending> batch = next_batch();
    if (batch.empty()) return;
    run_batch(batch);
  }
}

// Waits for a first request, then for the batch to fill or the window after it to pass; empty
// once stopping with nothing left.
std::vector<BatchingClassifier::Pending> BatchingClassifier::next_batch() {
  std::unique_lock<std::mutex> lock(mutex_);
  arrived_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return {};
  const auto deadline = queue_.front().handed_in + options_.window;
  arrived_.wait_until(lock, deadline, [&] {
    return stopping_ || without_window_ || static_cast<int64_t>(queue_.size()) >= options_.max_batch;
  });
  std::vector<Pending> batch;
  while (!queue_.empty() && static_cast<int64_t>(batch.size()) < options_.max_batch) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void BatchingClassifier::run_batch(std::vector<Pending>& batch) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<float>> pixel_vectors;
  pixel_vectors.reserve(batch.size());
  for (auto& pending : batch) pixel_vectors.push_back(std::move(pending.pixels));
  // Counted before anyone is answered: a client that has its answer, or a server that has
  // answered everyone, reads a final count.
  if (on_batch_) on_batch_(static_cast<int64_t>(batch.size()));
  try {
    const auto answers = classify_digits(model_, model_label_, pixel_vectors, device_);
    const double model_seconds = seconds_since(start);
    for (size_t i = 0; i < batch.size(); ++i) {
      TimedAnswer timed;
      timed.answer = answers[i];
      timed.queue_seconds = std::chrono::duration<double>(start - batch[i].handed_in).count();
      timed.model_seconds = model_seconds;
      timed.batch_size = static_cast<int64_t>(batch.size());
      batch[i].answer.set_value(std::move(timed));
    }
  } catch (...) {
    for (auto& pending : batch) pending.answer.set_exception(std::current_exception());
  }
}

}  // namespace mnist
