// The TorchScript export: what any LibTorch or Python program loads runs like the trained
// model for every input layout, and loading failures are one line naming the file.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "export/torchscript.h"
#include "small_models.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::banded_digits;
using mnist::test::model_probabilities;
using mnist::test::quiet;
using mnist::test::small_settings;
using mnist::test::small_spec;

TEST(TorchScriptExport, ReloadedModuleMatchesTheModelForEveryInputLayout) {
  mnist::test::TempDir dir;
  const auto data = banded_digits(64, 4);
  mnist::Trainer trainer(small_spec(), small_settings(), torch::kCPU);
  trainer.train_epoch(1, data, quiet);
  const fs::path path = dir.path() / "mnist_mlp.pt";
  mnist::export_torchscript(trainer.model(), path, R"({"architecture":"784-32-16-10"})");

  auto loaded = torch::jit::load(path.string());  // plain LibTorch, no project code
  const auto pixels = torch::rand({9, 28, 28});
  const auto expected = model_probabilities(trainer.model(), pixels);
  for (const auto& input : {pixels, pixels.reshape({9, 1, 28, 28}), pixels.reshape({9, 784})}) {
    const auto actual = loaded.forward({input}).toTensor();
    ASSERT_EQ(actual.sizes(), (std::vector<int64_t>{9, 10}));
    EXPECT_LT((actual - expected).abs().max().item<float>(), 1e-5);
  }
  EXPECT_THROW(loaded.forward({torch::rand({2, 27, 28})}), std::exception);
  EXPECT_THROW(loaded.forward({torch::rand({2, 3, 28, 28})}), std::exception);
  EXPECT_EQ(nlohmann::json::parse(mnist::read_model_card(path))["architecture"], "784-32-16-10");
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1) << "temporary file left behind";
}

TEST(TorchScriptExport, PythonTorchJitLoadGivesTheSameProbabilities) {
  mnist::test::TempDir dir;
  torch::manual_seed(5);
  auto model = mnist::build_mlp({});
  const fs::path path = dir.path() / "mnist_mlp.pt";
  mnist::export_torchscript(model, path, "{}");
  const auto pixels = torch::rand({6, 28, 28});
  const auto expected = model_probabilities(model, pixels).contiguous();
  const auto write_floats = [](const fs::path& file, const torch::Tensor& t) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * 4));
  };
  write_floats(dir.path() / "inputs.f32", pixels.contiguous());
  write_floats(dir.path() / "expected.f32", expected);
  const std::string command = std::string(MNIST_TEST_PYTHON) + " " + MNIST_TEST_SCRIPTS_DIR +
                              "/check_torchscript.py " + path.string() + " " +
                              (dir.path() / "inputs.f32").string() + " " +
                              (dir.path() / "expected.f32").string() + " 1e-5";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(TorchScriptExport, LoadErrorsAreOneLineAndNameTheFile) {
  mnist::test::TempDir dir;
  const auto expect_error = [](const fs::path& path, const std::string& phrase) {
    try {
      mnist::load_torchscript(path);
      ADD_FAILURE() << "loaded " << path;
    } catch (const mnist::RuntimeError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
      EXPECT_NE(message.find(phrase), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  };
  expect_error(dir.path() / "missing.pt", "missing");
  std::ofstream(dir.path() / "random.pt") << "\x01\x02 not a zip archive";
  expect_error(dir.path() / "random.pt", "not a readable TorchScript model");
  expect_error(dir.path(), "is a directory");
}
