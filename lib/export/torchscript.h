// TorchScript export of the trained MLP: a self-contained archive that any LibTorch program
// (torch::jit::load) or Python (torch.jit.load) runs without this project's code.
// Contract of the exported forward: float input [N,28,28], [N,1,28,28] or [N,784], pixels in
// [0,1]; output [N,10] class probabilities. Normalisation lives inside the module.
// A JSON model card travels in the archive's extra files under kModelCardName.
// Loading such a file, and running it with that contract checked, are here too.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/nn/modules/container/sequential.h>

#include <filesystem>
#include <string>

#include "model/model.h"

namespace mnist {

inline constexpr const char* kModelCardName = "model_card.json";

// The TorchScript module for a model built by build_mlp (weights copied to the CPU). A
// temperature T other than 1 is folded into the last layer (weight and bias divided by T), so
// the module returns softmax(logits / T): calibrated probabilities, the same top class.
torch::jit::Module to_torchscript(const torch::nn::Sequential& model, double temperature = 1.0);

// Writes to_torchscript(model, temperature) with the model card, atomically.
void export_torchscript(const torch::nn::Sequential& model, const std::filesystem::path& path,
                        const std::string& model_card_json, double temperature = 1.0);

// torch::jit::load with one-line RuntimeErrors naming the file instead of LibTorch's traces.
// The usual wrong files (missing, a directory, empty, the Keras .h5, anything not a zip archive)
// are told apart before LibTorch's reader sees them.
torch::jit::Module load_torchscript(const std::filesystem::path& path);

// Runs a model with the contract above on images [N,1,28,28] and returns its output as [N,10]
// float probabilities. Anything else (the forward failing, a result that is not a tensor, another
// shape, values that are not probabilities) throws RuntimeError starting with model_label.
at::Tensor forward_probabilities(torch::jit::Module& module, const std::string& model_label,
                                 const at::Tensor& images);

// The model behind a TorchScript file that export_torchscript wrote, as build_mlp builds it: its
// weight_N/bias_N parameters, its input_mean/input_std, and the hidden activations its model
// card lists (relu where it has none). Throws RuntimeError naming the file for any other module.
ImportedMlp mlp_from_torchscript(const std::filesystem::path& path);

// The model card stored by export_torchscript; empty when the archive has none.
std::string read_model_card(const std::filesystem::path& path);

}  // namespace mnist
