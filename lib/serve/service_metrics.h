// What a running server counts, in the Prometheus text format (GET /metrics): requests by route
// and status, request latency, the sizes of the batches the model ran and the queue before it. Safe to update from
// many threads.
// Not for: serving them (digit_service.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace mnist {

class ServiceMetrics {
 public:
  // route: the path pattern ("/v1/predict", or "other" for paths the server does not serve).
  void record_request(const std::string& route, int status, double seconds);
  void record_batch(int64_t batch_size);

  // queue_length: the requests waiting for the model as the text is asked for (a gauge).
  std::string prometheus_text(int64_t queue_length) const;

  // Batches run and the requests they held, so far.
  int64_t batches() const;
  int64_t batched_requests() const;

 private:
  static constexpr std::array<double, 12> kLatencyBounds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                                         0.05,   0.1,   0.25,  0.5,   1.0,  2.5};
  static constexpr std::array<double, 9> kBatchBounds{1, 2, 4, 8, 16, 32, 64, 128, 256};

  template <size_t N>
  struct Histogram {
    std::array<int64_t, N> buckets{};  // counts at or below each bound (not cumulative)
    int64_t count = 0;
    double sum = 0;
    void add(const std::array<double, N>& bounds, double value);
    std::string text(const std::string& name, const std::array<double, N>& bounds) const;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  Histogram<kLatencyBounds.size()> latency_;
  Histogram<kBatchBounds.size()> batch_size_;
};

}  // namespace mnist
