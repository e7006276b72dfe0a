// The single place where a device request (auto|cpu|cuda|cuda:N) becomes a torch::Device.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace mnist {

// "auto" picks CUDA when LibTorch sees a GPU, else the CPU. Throws UsageError for a malformed
// request, or for CUDA when this LibTorch build or this machine has none.
c10::Device resolve_device(const std::string& request);

}  // namespace mnist
