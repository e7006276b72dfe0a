// A TorchScript classifier measured on labelled images: loss, accuracy and confusion through
// evaluate() with its probabilities kept, the top-class confidences for calibration, its most
// confident mistakes, and its answers on digits drawn the ways people draw them
// (image/drawn_variants.h) after the preparation mnist-serve applies to uploads.
// Not for: the numbers of a Sequential being trained (report/evaluation.h), writing or printing
// the results (report/evaluation_run.h and the plotting files).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/mnist_dataset.h"
#include "report/calibration.h"
#include "report/evaluation.h"

namespace mnist {

// A model on one drawn variant of the evaluated images (--drawn-variants), or on all of them.
struct VariantResult {
  std::string variant;  // e.g. "round-brush"
  int64_t count = 0;
  int64_t correct = 0;
  int64_t unprepared = 0;  // images the preparation refused (counted as wrong, never as confident)
  ConfidenceSet confidences;  // of the images the preparation accepted, for calibration
  double accuracy() const { return count > 0 ? static_cast<double>(correct) / count : 0; }
  // Wrong with a top-class probability of at least kDefaultUncertainBelow: the answers mnist-serve
  // gives as sure ("7", not "7 or 1?") that are wrong.
  int64_t confident_mistakes() const;
  double confident_mistake_rate() const { return count > 0 ? static_cast<double>(confident_mistakes()) / count : 0; }
  CalibrationSummary calibration() const { return calibration_summary(confidences); }
};

// What `module` answers on every drawn variant of `data` (image/drawn_variants.h): each image
// rendered, encoded as PNG and prepared as mnist-serve prepares an upload, then classified.
std::vector<VariantResult> evaluate_drawn_variants(torch::jit::Module& module, const std::string& model_label,
                                                     const MnistTensors& data, const c10::Device& device,
                                                     int64_t batch_size);

// The variants' images taken together as one set, named "all": counts summed, confidences joined.
VariantResult all_variants(const std::vector<VariantResult>& variants);

// Runs a TorchScript classifier (probabilities out) over `data` as evaluate() does, checking
// that every output is an [N,10] tensor of probabilities; otherwise throws RuntimeError
// starting with `model_label`. When `probabilities` is given it receives all outputs, [N,10]
// float on the CPU, in the order of `data`.
EvalResult evaluate_torchscript(torch::jit::Module& module, const std::string& model_label,
                                const MnistTensors& data, const c10::Device& device,
                                int64_t batch_size, at::Tensor* probabilities = nullptr);

// The top-class probability of every row of probabilities [N,10] and whether it is the label.
ConfidenceSet confidence_set(const at::Tensor& probabilities, const at::Tensor& labels);

// Indices of the wrongly classified rows with the highest predicted probability, most confident
// first (ties: lower index first), at most `count` of them.
std::vector<int64_t> most_confident_mistakes(const at::Tensor& probabilities,
                                             const at::Tensor& labels, int64_t count);

}  // namespace mnist
