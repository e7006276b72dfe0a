// The one device decision: requests that resolve, requests refused, and training on CUDA where
// LibTorch sees a GPU (skipped elsewhere: the only test that skips).
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "export/torchscript.h"
#include "runtime/device.h"
#include "small_models.h"

using mnist::test::banded_digits;
using mnist::test::model_probabilities;
using mnist::test::quiet;
using mnist::test::small_settings;
using mnist::test::small_spec;

TEST(Device, ResolvesRequestsAndRejectsBadOnes) {
  EXPECT_EQ(mnist::resolve_device("cpu"), c10::Device(c10::kCPU));
  EXPECT_EQ(mnist::resolve_device("auto").is_cuda(), torch::cuda::is_available());
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""}) {
    EXPECT_THROW(mnist::resolve_device(bad), mnist::UsageError) << bad;
  }
  if (!torch::cuda::is_available()) {
    try {
      mnist::resolve_device("cuda");
      FAIL();
    } catch (const mnist::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("CUDA is not available"), std::string::npos);
    }
  }
}

TEST(Device, TrainsAndExportsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto data = banded_digits(200, 9);
  mnist::Trainer trainer(small_spec(), small_settings(), mnist::resolve_device("cuda"));
  const auto first = trainer.train_epoch(1, data, quiet);
  mnist::EpochTrainStats last;
  for (int epoch = 2; epoch <= 8; ++epoch) last = trainer.train_epoch(epoch, data, quiet);
  EXPECT_LT(last.loss, first.loss);
  EXPECT_TRUE(trainer.model()->parameters()[0].is_cuda());
  auto script = mnist::to_torchscript(trainer.model());  // exports from CUDA weights to CPU
  const auto pixels = torch::rand({3, 784});
  const auto expected = model_probabilities(trainer.model(), pixels.to(torch::kCUDA)).cpu();
  EXPECT_LT((script.forward({pixels}).toTensor() - expected).abs().max().item<float>(), 1e-5);
}
