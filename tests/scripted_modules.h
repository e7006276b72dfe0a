// TorchScript modules written in a test, whose answers are known whatever their input: for the
// checks on evaluation and on what a model file may return.
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace mnist::test {

// A module named `name` whose forward is the TorchScript source `forward`.
inline torch::jit::Module scripted_module(const std::string& forward, const std::string& name = "Scripted") {
  torch::jit::Module module(name);
  module.define(forward);
  return module;
}

inline std::filesystem::path save_scripted_module(const std::filesystem::path& path, const std::string& forward,
                                                  const std::string& name = "Scripted") {
  scripted_module(forward, name).save(path.string());
  return path;
}

// Answers `digit` with `probability` (the rest shared evenly by the other nine) whatever the image.
inline torch::jit::Module always_answers(int digit, double probability) {
  torch::jit::Module module("AlwaysAnswers");
  auto answer = torch::full({10}, (1 - probability) / 9);
  answer[digit] = probability;
  module.register_buffer("answer", answer);
  module.define(R"(
def forward(self, x: Tensor) -> Tensor:
    return self.answer.unsqueeze(0).expand(x.size(0), 10).clone()
)");
  return module;
}

// Answers 3 with probability 0.55 (0.05 for every other digit) whatever the image.
inline torch::jit::Module always_three() { return always_answers(3, 0.55); }

}  // namespace mnist::test
