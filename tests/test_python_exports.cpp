// The exported files as Python users load them: a model trained by mnist-train, its TorchScript
// run by torch.jit.load and its Keras HDF5 files read by h5py and run in numpy, compared with
// LibTorch in C++ on all 10,000 MNIST test images (tests/python/check_exports_on_mnist.py).
// Needs Debian's python3-torch, python3-h5py and python3-numpy (scripts/setup.sh installs them).
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

#include "child_process.h"
#include "data/mnist_dataset.h"
#include "export/torchscript.h"
#include "test_support.h"

namespace fs = std::filesystem;

TEST(PythonExports, TorchScriptAndKerasFilesAgreeWithLibTorchOnTheMnistTestSet) {
  mnist::test::TempDir dir;
  const fs::path data_dir = MNIST_TEST_DATA_DIR;
  const fs::path models = dir.path() / "models";
  const auto trained = mnist::test::ChildProcess({MNIST_TRAIN_BINARY, "--data-dir", data_dir, "--epochs", "1",
                                                  "--train-limit", "3000", "--test-limit", "100", "--out-dir", models})
                           .finish();
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  // The C++ side: the exported TorchScript under LibTorch, on the test set as the project loads it.
  const auto test = mnist::load_mnist(data_dir, mnist::MnistSplit::kTest);
  ASSERT_EQ(test.size(), 10000);
  auto model = mnist::load_torchscript(models / "mnist_mlp.pt");
  torch::NoGradGuard no_grad;
  const auto probabilities = model.forward({test.images}).toTensor().contiguous();
  ASSERT_EQ(probabilities.sizes(), (std::vector<int64_t>{10000, 10}));
  {
    std::ofstream out(dir.path() / "cpp_probs.f32", std::ios::binary);
    out.write(reinterpret_cast<const char*>(probabilities.data_ptr<float>()),
              static_cast<std::streamsize>(probabilities.numel() * sizeof(float)));
    ASSERT_TRUE(out.good());
  }

  const auto check = mnist::test::ChildProcess({MNIST_TEST_PYTHON, MNIST_TEST_SCRIPTS_DIR "/check_exports_on_mnist.py",
                                                models, data_dir / "t10k-images-idx3-ubyte",
                                                dir.path() / "cpp_probs.f32"})
                         .finish();
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out.rfind("OK: 10000 test images", 0), 0u) << check.out;
}
