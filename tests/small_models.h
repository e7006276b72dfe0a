// Small models and data for the tests that train: a learnable synthetic set, small settings,
// probabilities of a model, and comparing two models to the bit (what determinism and resume
// promise). No MNIST files needed.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>

#include "data/mnist_dataset.h"
#include "model/model.h"
#include "train/trainer.h"

namespace mnist::test {

inline void expect_identical_parameters(torch::nn::Sequential& a, torch::nn::Sequential& b) {
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key() << " differs";
  }
}

// `count` images whose label is encoded in which horizontal band is bright: learnable, not trivial.
inline MnistTensors banded_digits(int64_t count, uint64_t seed) {
  torch::manual_seed(seed);
  MnistTensors data;
  data.labels = torch::randint(0, 10, {count}, torch::kLong);
  data.images = torch::rand({count, 1, 28, 28}) * 0.3;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t row = data.labels[i].item<int64_t>() * 2 + 4;
    data.images[i][0].slice(0, row, row + 2).add_(0.7);
  }
  return data;
}

inline TrainSettings small_settings() {
  TrainSettings settings;
  settings.batch_size = 16;
  settings.seed = 7;
  settings.schedule = LrSchedule::kCosine;
  settings.total_epochs = 3;
  return settings;
}

inline ModelSpec small_spec() {
  ModelSpec spec;
  spec.hidden = {32, 16};
  spec.dropout = 0.1;  // exercises the dropout randomness in determinism and resume
  return spec;
}

inline torch::Tensor model_probabilities(torch::nn::Sequential& model, const torch::Tensor& pixels) {
  model->eval();
  torch::NoGradGuard no_grad;
  return torch::softmax(model->forward(pixels), 1);
}

// An observer that wants nothing.
inline TrainingObserver quiet;

}  // namespace mnist::test
