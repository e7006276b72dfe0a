// TorchScript generation from the trained Sequential; see torchscript_export.h.
//
// torch::save of a C++ nn::Module writes parameters without a callable forward, so the forward
// is written out here as TorchScript source, compiled with Module::define, and the trained
// tensors are registered on the module as its parameters and buffers.
#include "torchscript_export.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <sstream>

#include "atomic_file.h"
#include "errors.h"
#include "model.h"

namespace mnist {
namespace fs = std::filesystem;

torch::jit::Module to_torchscript(const torch::nn::Sequential& model) {
  torch::jit::Module script("MnistMLP");
  std::ostringstream body;
  body << "def forward(self, x: Tensor) -> Tensor:\n"
          "    if not ((x.dim() == 2 and x.size(1) == 784)\n"
          "            or (x.dim() == 3 and x.size(1) == 28 and x.size(2) == 28)\n"
          "            or (x.dim() == 4 and x.size(1) == 1 and x.size(2) == 28 and x.size(3) == 28)):\n"
          "        assert False, 'MnistMLP: expected input of shape [N,28,28], [N,1,28,28] or [N,784]'\n"
          "    x = x.reshape(x.size(0), 784).float()\n";

  torch::NoGradGuard no_grad;
  const auto to_cpu = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU).clone(); };
  int linear_count = 0;
  for (const auto& child : model->children()) {
    if (auto* normalize = dynamic_cast<NormalizeImpl*>(child.get())) {
      script.register_buffer("input_mean", to_cpu(normalize->named_buffers()["mean"]));
      script.register_buffer("input_std", to_cpu(normalize->named_buffers()["std"]));
      body << "    x = (x - self.input_mean) / self.input_std\n";
    } else if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(child.get())) {
      const std::string w = "weight_" + std::to_string(linear_count);
      const std::string b = "bias_" + std::to_string(linear_count);
      script.register_parameter(w, to_cpu(linear->weight), /*is_buffer=*/false);
      script.register_parameter(b, to_cpu(linear->bias), /*is_buffer=*/false);
      body << "    x = torch.addmm(self." << b << ", x, self." << w << ".t())\n";
      ++linear_count;
    } else if (dynamic_cast<torch::nn::ReLUImpl*>(child.get()) != nullptr) {
      body << "    x = torch.relu(x)\n";
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
                        const std::string& model_card_json) {
  const auto script = to_torchscript(model);
  const torch::jit::ExtraFilesMap extra_files{{kModelCardName, model_card_json}};
  // Serialised in memory, then written by us: see write_text_atomically.
  std::ostringstream bytes;
  try {
    script.save(bytes, extra_files);
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": cannot write TorchScript: " +
                       one_line(e.what_without_backtrace()));
  }
  write_text_atomically(path, bytes.str());
}

torch::jit::Module load_torchscript(const fs::path& path) {
  if (!fs::exists(path)) {
    throw RuntimeError(path.string() + ": model file missing. Train one with mnist-train.");
  }
  if (fs::is_directory(path)) throw RuntimeError(path.string() + ": is a directory, not a model file");
  try {
    auto module = torch::jit::load(path.string(), torch::kCPU);
    module.eval();
    return module;
  } catch (const std::exception& e) {
    throw RuntimeError(path.string() + ": not a readable TorchScript model (" +
                       one_line(e.what()) + ")");
  }
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
