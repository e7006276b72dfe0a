// Loss, accuracy and confusion matrix of a classifier over a labelled set of images.
// Not for: reporting or drawing them (the CLIs and the plotting code do that).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/modules/container/sequential.h>

#include <functional>

#include "data/mnist_dataset.h"
#include "report/calibration.h"

namespace mnist {

struct EvalResult {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction correct
  int64_t count = 0;
  at::Tensor confusion;  // [10, 10] int64, rows = truth, columns = predicted
};

// Maps a batch of images [B, 1, 28, 28] already on the device to log-probabilities [B, 10].
using LogProbabilityFn = std::function<at::Tensor(const at::Tensor& images)>;

EvalResult evaluate(const LogProbabilityFn& log_probabilities, const MnistTensors& data,
                    const c10::Device& device, int64_t batch_size = 1000);

// The trained Sequential (returning logits) in evaluation mode without gradients; the module's
// training mode is restored afterwards.
EvalResult evaluate_model(torch::nn::Sequential& model, const MnistTensors& data,
                          const c10::Device& device);

// The logits of the trained Sequential on every image of `data`, with the labels, in double
// (evaluation mode without gradients; the module's training mode is restored afterwards).
LabelledLogits labelled_logits(torch::nn::Sequential& model, const MnistTensors& data,
                               const c10::Device& device, int64_t batch_size = 1000);

}  // namespace mnist
