// Server metrics; see service_metrics.h.
#include "serve/service_metrics.h"

#include <sstream>

namespace mnist {

namespace {

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

template <size_t N>
void ServiceMetrics::Histogram<N>::add(const std::array<double, N>& bounds, double value) {
  for (size_t i = 0; i < N; ++i) {
    if (value <= bounds[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += value;
}

template <size_t N>
std::string ServiceMetrics::Histogram<N>::text(const std::string& name,
                                               const std::array<double, N>& bounds) const {
  std::ostringstream out;
  int64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += buckets[i];
    out << name << "_bucket{le=\"" << number(bounds[i]) << "\"} " << cumulative << "\n";
  }
  out << name << "_bucket{le=\"+Inf\"} " << count << "\n"
      << name << "_sum " << number(sum) << "\n"
      << name << "_count " << count << "\n";
  return out.str();
}

void ServiceMetrics::record_request(const std::string& route, int status, double seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  latency_.add(kLatencyBounds, seconds);
}

void ServiceMetrics::record_batch(int64_t batch_size) {
  const std::lock_guard<std::mutex> lock(mutex_);
  batch_size_.add(kBatchBounds, static_cast<double>(batch_size));
}

int64_t ServiceMetrics::batches() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return batch_size_.count;
}

int64_t ServiceMetrics::batched_requests() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(batch_size_.sum);
}

std::string ServiceMetrics::prometheus_text(int64_t queue_length) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  out << "# HELP mnist_http_requests_total HTTP requests answered, by route and status.\n"
      << "# TYPE mnist_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "mnist_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
        << count << "\n";
  }
  out << "# HELP mnist_http_request_duration_seconds Time from a request's arrival to its answer.\n"
      << "# TYPE mnist_http_request_duration_seconds histogram\n"
      << latency_.text("mnist_http_request_duration_seconds", kLatencyBounds)
      << "# HELP mnist_model_batch_size Requests in each forward pass of the model.\n"
      << "# TYPE mnist_model_batch_size histogram\n"
      << batch_size_.text("mnist_model_batch_size", kBatchBounds)
      << "# HELP mnist_model_queue_length Requests waiting for the model.\n"
      << "# TYPE mnist_model_queue_length gauge\n"
      << "mnist_model_queue_length " << queue_length << "\n";
  return out.str();
}

}  // namespace mnist
