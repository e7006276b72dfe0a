// TorchScript generation from the trained Sequential, and loading and running such a file with
// every failure turned into one line naming it; see torchscript.h.
//
// torch::save of a C++ nn::Module writes parameters without a callable forward, so the forward
// is written out here as TorchScript source, compiled with Module::define, and the trained
// tensors are registered on the module as its parameters and buffers.
#include "export/torchscript.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras_h5.h"
#include "model/model.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

constexpr std::array<char, 4> kZipSignature{'P', 'K', '\x03', '\x04'};

// LibTorch's reader says "failed finding central directory" about an empty file and a Keras
// file alike; the first bytes tell the usual wrong files apart, with a message saying what to do.
void check_model_file(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    throw RuntimeError(path.string() + ": model file missing. Train one with mnist-train.");
  }
  if (fs::is_directory(status)) throw RuntimeError(path.string() + ": is a directory, not a model file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw RuntimeError(path.string() + ": cannot be read (" + std::strerror(errno) + ")");
  }
  std::array<char, kZipSignature.size()> head{};
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  const auto have = static_cast<size_t>(in.gcount());
  if (have == 0) {
    throw RuntimeError(path.string() + ": empty file (0 bytes), not a TorchScript model. "
                       "Train one with mnist-train.");
  }
  if (has_hdf5_signature(path)) {
    throw RuntimeError(path.string() + ": a Keras HDF5 file, not a TorchScript model. Use the "
                       "TorchScript file mnist-train writes beside it (mnist_mlp.pt), or convert "
                       "it with mnist-convert.");
  }
  if (have < kZipSignature.size() ||
      !std::equal(kZipSignature.begin(), kZipSignature.end(), head.begin())) {
    throw RuntimeError(path.string() + ": not a readable TorchScript model (TorchScript files "
                       "are zip archives and this is not one). Use a .pt file from mnist-train.");
  }
}

std::string tensor_shape_text(const at::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.sizes();
  return out.str();
}

// TorchScript interpreter errors open with a generic line and end with the actual complaint.
std::string last_line(const std::string& text) {
  size_t end = text.size();
  while (end > 0) {
    const size_t begin = text.rfind('\n', end - 1);
    const size_t start = begin == std::string::npos ? 0 : begin + 1;
    const std::string line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
    if (begin == std::string::npos) break;
    end = begin;
  }
  return one_line(text);
}

// softmax((W x + b) / T) = softmax((W / T) x + b / T): the division is done in double and
// rounded once; T = 1 leaves the tensor untouched (bit-identical exports without calibration).
torch::Tensor divided_by_temperature(const torch::Tensor& tensor, double temperature) {
  if (temperature == 1.0) return tensor;
  return (tensor.to(torch::kFloat64) / temperature).to(tensor.scalar_type());
}

}  // namespace

torch::jit::Module to_torchscript(const torch::nn::Sequential& model, double temperature) {
  if (!(temperature > 0) || !std::isfinite(temperature)) {
    throw std::invalid_argument("to_torchscript: temperature " + std::to_string(temperature) + " is not positive");
  }
  torch::jit::Module script("MnistMLP");
  std::ostringstream body;
  const std::string side = std::to_string(kImageSide);
  const std::string pixels = std::to_string(kImagePixels);
  body << "def forward(self, x: Tensor) -> Tensor:\n"
       << "    if not ((x.dim() == 2 and x.size(1) == " << pixels << ")\n"
       << "            or (x.dim() == 3 and x.size(1) == " << side << " and x.size(2) == " << side << ")\n"
       << "            or (x.dim() == 4 and x.size(1) == 1 and x.size(2) == " << side
       << " and x.size(3) == " << side << ")):\n"
       << "        assert False, 'MnistMLP: expected input of shape [N," << side << "," << side << "], [N,1,"
       << side << "," << side << "] or [N," << pixels << "]'\n"
       << "    x = x.reshape(x.size(0), " << pixels << ").float()\n";

  torch::NoGradGuard no_grad;
  const auto to_cpu = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU).clone(); };
  int linear_count = 0;
  int linears_left = 0;
  for (const auto& child : model->children()) {
    linears_left += dynamic_cast<torch::nn::LinearImpl*>(child.get()) != nullptr ? 1 : 0;
  }
  for (const auto& child : model->children()) {
    if (auto* normalize = dynamic_cast<NormalizeImpl*>(child.get())) {
      script.register_buffer("input_mean", to_cpu(normalize->named_buffers()["mean"]));
      script.register_buffer("input_std", to_cpu(normalize->named_buffers()["std"]));
      body << "    x = (x - self.input_mean) / self.input_std\n";
    } else if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(child.get())) {
      const std::string w = "weight_" + std::to_string(linear_count);
      const std::string b = "bias_" + std::to_string(linear_count);
      const bool last = --linears_left == 0;
      script.register_parameter(w, divided_by_temperature(to_cpu(linear->weight), last ? temperature : 1.0),
                                /*is_buffer=*/false);
      script.register_parameter(b, divided_by_temperature(to_cpu(linear->bias), last ? temperature : 1.0),
                                /*is_buffer=*/false);
      body << "    x = torch.addmm(self." << b << ", x, self." << w << ".t())\n";
      ++linear_count;
    } else if (dynamic_cast<torch::nn::ReLUImpl*>(child.get()) != nullptr) {
      body << "    x = torch.relu(x)\n";
    } else if (dynamic_cast<torch::nn::TanhImpl*>(child.get()) != nullptr) {
      body << "    x = torch.tanh(x)\n";
    } else if (dynamic_cast<torch::nn::SigmoidImpl*>(child.get()) != nullptr) {
      body << "    x = torch.sigmoid(x)\n";
    } else if (dynamic_cast<torch::nn::SoftmaxImpl*>(child.get()) != nullptr) {
      body << "    x = torch.softmax(x, 1)\n";
    } else if (dynamic_cast<torch::nn::FlattenImpl*>(child.get()) != nullptr ||
               dynamic_cast<torch::nn::DropoutImpl*>(child.get()) != nullptr) {
      // Flattening happened above; dropout is the identity at inference.
    } else {
      throw std::invalid_argument("to_torchscript: unsupported module " + child->name());
    }
  }
  body << "    return torch.softmax(x, 1)\n";
  script.define(body.str());
  script.eval();
  return script;
}

void export_torchscript(const torch::nn::Sequential& model, const fs::path& path,
                        const std::string& model_card_json, double temperature) {
  const auto script = to_torchscript(model, temperature);
  const torch::jit::ExtraFilesMap extra_files{{kModelCardName, model_card_json}};
  // Serialised in memory, then written by us: see write_file_atomically.
  std::ostringstream bytes;
  try {
    script.save(bytes, extra_files);
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": cannot write TorchScript: " +
                       one_line(e.what_without_backtrace()));
  }
  write_file_atomically(path, bytes.str());
}

torch::jit::Module load_torchscript(const fs::path& path) {
  check_model_file(path);
  bool has_constants = false;
  torch::jit::Module module;
  try {
    has_constants = caffe2::serialize::PyTorchStreamReader(path.string()).hasRecord("constants.pkl");
    if (has_constants) module = torch::jit::load(path.string(), torch::kCPU);
  } catch (const std::exception& e) {
    throw RuntimeError(path.string() + ": not a readable TorchScript model (" + one_line(e.what()) +
                       "); truncated or damaged? Export it again with mnist-train.");
  }
  // Python's torch.save (torch::pickle_save in C++) writes the same zip container, holding
  // tensors but no code.
  if (!has_constants) {
    throw RuntimeError(path.string() + ": a torch.save archive (tensors or weights), not a "
                       "TorchScript model; use the mnist_mlp.pt that mnist-train exports");
  }
  // C++ torch::save archives (the trainer's checkpoint.pt among them) are modules without code.
  if (!module.find_method("forward")) {
    throw RuntimeError(path.string() + ": TorchScript archive with no forward method (saved "
                       "weights or a checkpoint, not an exported model); use the mnist_mlp.pt "
                       "that mnist-train exports");
  }
  module.eval();
  return module;
}

at::Tensor forward_probabilities(torch::jit::Module& module, const std::string& model_label,
                                 const at::Tensor& images) {
  c10::IValue output;
  try {
    output = module.forward({images});
  } catch (const c10::Error& e) {
    throw RuntimeError(model_label + ": running the model on images [N,1,28,28] failed: " +
                       last_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {  // the interpreter's own errors are not c10::Errors
    throw RuntimeError(model_label + ": running the model on images [N,1,28,28] failed: " +
                       last_line(e.what()));
  }
  if (!output.isTensor()) {
    throw RuntimeError(model_label + ": model output is a " + output.tagKind() +
                       ", expected a tensor [N,10]");
  }
  const at::Tensor probabilities = output.toTensor();
  if (probabilities.dim() != 2 || probabilities.size(0) != images.size(0) ||
      probabilities.size(1) != kNumClasses) {
    throw RuntimeError(model_label + ": model output has shape " + tensor_shape_text(probabilities) +
                       " for a batch of " + std::to_string(images.size(0)) +
                       " images, expected [N,10]");
  }
  if (!probabilities.is_floating_point()) {
    throw RuntimeError(model_label + ": model output is not floating point, expected probabilities");
  }
  const auto as_float = probabilities.to(torch::kFloat);
  const bool valid = as_float.isfinite().all().item<bool>() && as_float.ge(0).all().item<bool>() &&
                     (as_float.sum(/*dim=*/1) - 1).abs().le(1e-3).all().item<bool>();
  if (!valid) {
    throw RuntimeError(model_label + ": model output rows are not probabilities (non-negative, "
                       "summing to 1); export the model with mnist-train, whose output is softmax");
  }
  return as_float;
}

namespace {

// The hidden activations a model card lists; relu for each when it lists none.
std::vector<std::string> hidden_activations_of(const std::string& card_text, size_t hidden_count) {
  std::vector<std::string> activations(hidden_count, "relu");
  const auto card = nlohmann::json::parse(card_text, nullptr, /*allow_exceptions=*/false);
  if (!card.is_object() || !card.contains("layers") || !card["layers"].is_array()) return activations;
  const auto& layers = card["layers"];
  for (size_t i = 0; i < hidden_count && i < layers.size(); ++i) {
    if (layers[i].is_object() && layers[i].contains("activation") && layers[i]["activation"].is_string()) {
      activations[i] = layers[i]["activation"].get<std::string>();
    }
  }
  return activations;
}

}  // namespace

ImportedMlp mlp_from_torchscript(const fs::path& path) {
  torch::jit::Module module = load_torchscript(path);
  const auto fail = [&](const std::string& what) -> RuntimeError {
    return RuntimeError(path.string() + ": " + what + "; only models exported by mnist-train or mnist-convert "
                        "can be converted or trained further");
  };
  const auto attribute = [&](const std::string& name) {
    if (!module.hasattr(name) || !module.attr(name).isTensor()) throw fail("no tensor " + name);
    return module.attr(name).toTensor().detach().to(torch::kCPU, torch::kFloat32);
  };
  std::vector<at::Tensor> weights, biases;
  while (module.hasattr("weight_" + std::to_string(weights.size()))) {
    const std::string index = std::to_string(weights.size());
    weights.push_back(attribute("weight_" + index));
    biases.push_back(attribute("bias_" + index));
  }
  if (weights.empty()) throw fail("a TorchScript model without the weight_0, bias_0, ... of this project's MLP");
  ImportedMlp imported;
  imported.spec.normalization = {attribute("input_mean").item<double>(), attribute("input_std").item<double>()};
  imported.spec.hidden.clear();
  int64_t inputs = kImagePixels;
  for (size_t i = 0; i < weights.size(); ++i) {
    const bool chains = weights[i].dim() == 2 && weights[i].size(1) == inputs && biases[i].dim() == 1 &&
                        biases[i].size(0) == weights[i].size(0);
    if (!chains) throw fail("weight_" + std::to_string(i) + " does not chain with the layer before");
    inputs = weights[i].size(0);
    if (i + 1 < weights.size()) imported.spec.hidden.push_back(inputs);
  }
  if (inputs != kNumClasses) throw fail("the last layer gives " + std::to_string(inputs) + " values, not 10");
  imported.spec.hidden_activations = hidden_activations_of(read_model_card(path), imported.spec.hidden.size());
  try {
    imported.model = build_mlp(imported.spec);
  } catch (const std::invalid_argument& e) {
    throw fail(e.what());
  }
  torch::NoGradGuard no_grad;
  size_t index = 0;
  for (const auto& child : imported.model->children()) {
    if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(child.get())) {
      linear->weight.copy_(weights[index]);
      linear->bias.copy_(biases[index]);
      ++index;
    }
  }
  return imported;
}

std::string read_model_card(const fs::path& path) {
  torch::jit::ExtraFilesMap extra_files{{kModelCardName, ""}};
  try {
    torch::jit::load(path.string(), torch::kCPU, extra_files);
  } catch (const std::exception& e) {
    throw RuntimeError(path.string() + ": not a readable TorchScript model (" +
                       one_line(e.what()) + ")");
  }
  return extra_files[kModelCardName];
}

}  // namespace mnist
