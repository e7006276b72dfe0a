// Device selection; see device.h.
#include "runtime/device.h"

#include <torch/cuda.h>

#include <cctype>

#include "core/errors.h"

namespace mnist {

namespace {

bool is_all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

c10::Device resolve_device(const std::string& request) {
  const bool cuda_available = torch::cuda::is_available();
  if (request == "auto") return cuda_available ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (request == "cpu") return c10::Device(c10::kCPU);

  int index = 0;
  if (request.rfind("cuda:", 0) == 0) {
    const std::string digits = request.substr(5);
    if (!is_all_digits(digits) || digits.size() > 3) {
      throw UsageError("--device " + request + ": expected auto, cpu, cuda or cuda:N");
    }
    index = std::stoi(digits);
  } else if (request != "cuda") {
    throw UsageError("--device " + request + ": expected auto, cpu, cuda or cuda:N");
  }
  if (!cuda_available) {
    throw UsageError("--device " + request +
                     ": CUDA is not available (CPU-only LibTorch or no GPU); use --device cpu");
  }
  const auto gpu_count = static_cast<int>(torch::cuda::device_count());
  if (index >= gpu_count) {
    throw UsageError("--device " + request + ": only " + std::to_string(gpu_count) +
                     " CUDA device(s) present");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace mnist
