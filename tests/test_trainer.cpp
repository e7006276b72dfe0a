// The training loop on small synthetic data (no MNIST files needed): loss falls, the same seed
// gives the same weights, a resumed run ends where an uninterrupted one does, the flat-buffer
// Adam computes what plain torch::optim::Adam does, the schedule, checkpoint errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include "core/errors.h"
#include "small_models.h"
#include "test_support.h"
#include "train/trainer.h"

using mnist::test::banded_digits;
using mnist::test::expect_identical_parameters;
using mnist::test::quiet;
using mnist::test::small_settings;
using mnist::test::small_spec;

TEST(Trainer, LossFallsOnASmallSet) {
  const auto data = banded_digits(200, 1);
  mnist::Trainer trainer(small_spec(), small_settings(), torch::kCPU);
  const auto first = trainer.train_epoch(1, data, quiet);
  mnist::EpochTrainStats last;
  for (int epoch = 2; epoch <= 8; ++epoch) last = trainer.train_epoch(epoch, data, quiet);
  EXPECT_LT(last.loss, first.loss * 0.5);
  EXPECT_GT(last.accuracy, 0.9);
  EXPECT_EQ(last.samples, 200);
}

TEST(Trainer, SameSeedGivesBitIdenticalWeights) {
  const auto data = banded_digits(100, 2);
  mnist::Trainer a(small_spec(), small_settings(), torch::kCPU);
  mnist::Trainer b(small_spec(), small_settings(), torch::kCPU);
  for (int epoch = 1; epoch <= 2; ++epoch) {
    a.train_epoch(epoch, data, quiet);
    b.train_epoch(epoch, data, quiet);
  }
  expect_identical_parameters(a.model(), b.model());

  auto other_settings = small_settings();
  other_settings.seed = 8;
  mnist::Trainer c(small_spec(), other_settings, torch::kCPU);
  c.train_epoch(1, data, quiet);
  EXPECT_FALSE(torch::equal(c.model()->parameters()[0], a.model()->parameters()[0]));
}

TEST(Trainer, ResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  mnist::test::TempDir dir;
  const auto data = banded_digits(100, 3);
  mnist::Trainer uninterrupted(small_spec(), small_settings(), torch::kCPU);
  for (int epoch = 1; epoch <= 3; ++epoch) uninterrupted.train_epoch(epoch, data, quiet);

  {
    mnist::Trainer first_part(small_spec(), small_settings(), torch::kCPU);
    first_part.train_epoch(1, data, quiet);
    first_part.save_checkpoint(dir.path() / "checkpoint.pt", 1, R"({"note":"x"})");
  }
  // Different global RNG state in between, as in a new process.
  torch::manual_seed(12345);
  mnist::Trainer resumed(small_spec(), small_settings(), torch::kCPU);
  const auto checkpoint = resumed.load_checkpoint(dir.path() / "checkpoint.pt");
  EXPECT_EQ(checkpoint.epochs_done, 1);
  EXPECT_EQ(checkpoint.metadata, R"({"note":"x"})");
  for (int epoch = 2; epoch <= 3; ++epoch) resumed.train_epoch(epoch, data, quiet);
  expect_identical_parameters(uninterrupted.model(), resumed.model());
}

// The trainer keeps its parameters in one flat buffer for speed; what it computes must still be
// plain torch::optim::Adam on the model's own tensors, with AdamW-style decay and smoothed labels.
struct PlainAdamCase {
  double weight_decay;
  double label_smoothing;
};
class TrainerMatchesPlainAdam : public ::testing::TestWithParam<PlainAdamCase> {};

TEST_P(TrainerMatchesPlainAdam, OverThreeSteps) {
  const auto data = banded_digits(48, 11);
  mnist::ModelSpec spec;
  spec.hidden = {24, 12};
  mnist::TrainSettings settings;
  settings.batch_size = 48;  // one step per epoch: the shuffled order does not matter
  settings.learning_rate = 0.01;
  settings.weight_decay = GetParam().weight_decay;
  settings.label_smoothing = GetParam().label_smoothing;
  mnist::Trainer trainer(spec, settings, torch::kCPU);

  torch::manual_seed(settings.seed);
  auto plain = mnist::build_mlp(spec);
  torch::optim::Adam adam(plain->parameters(), torch::optim::AdamOptions(settings.learning_rate));
  const auto options =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(settings.label_smoothing);
  for (int epoch = 1; epoch <= 3; ++epoch) {
    trainer.train_epoch(epoch, data, quiet);
    adam.zero_grad();
    torch::nn::functional::cross_entropy(plain->forward(data.images), data.labels, options).backward();
    {
      torch::NoGradGuard no_grad;
      for (auto& p : plain->parameters()) p.mul_(1.0 - settings.learning_rate * settings.weight_decay);
    }
    adam.step();
  }
  const auto ours = trainer.model()->parameters();
  const auto theirs = plain->parameters();
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_TRUE(torch::allclose(ours[i], theirs[i], 1e-4, 1e-6))
        << "parameter " << i << " differs by " << (ours[i] - theirs[i]).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Settings, TrainerMatchesPlainAdam,
                         ::testing::Values(PlainAdamCase{0.0, 0.0}, PlainAdamCase{5.0, 0.0},
                                           PlainAdamCase{0.0, 0.2}));

TEST(Trainer, CosineScheduleDecaysFromThePeakTowardsZero) {
  mnist::TrainSettings settings;
  settings.learning_rate = 0.002;
  settings.total_epochs = 4;
  settings.schedule = mnist::LrSchedule::kConstant;
  EXPECT_DOUBLE_EQ(mnist::learning_rate_for_epoch(settings, 4), 0.002);
  settings.schedule = mnist::LrSchedule::kCosine;
  EXPECT_DOUBLE_EQ(mnist::learning_rate_for_epoch(settings, 1), 0.002);
  EXPECT_NEAR(mnist::learning_rate_for_epoch(settings, 2), 0.002 * (1 + std::sqrt(0.5)) / 2, 1e-12);
  EXPECT_NEAR(mnist::learning_rate_for_epoch(settings, 3), 0.001, 1e-12);
  EXPECT_NEAR(mnist::learning_rate_for_epoch(settings, 4), 0.002 * (1 - std::sqrt(0.5)) / 2, 1e-12);

  const auto data = banded_digits(32, 10);
  mnist::Trainer trainer(small_spec(), small_settings(), torch::kCPU);
  EXPECT_NEAR(trainer.train_epoch(2, data, quiet).learning_rate, 0.00075, 1e-12);
}

TEST(Trainer, CheckpointErrorsNameTheFile) {
  mnist::test::TempDir dir;
  try {
    mnist::Trainer::read_checkpoint_header(dir.path() / "none.pt");
    FAIL();
  } catch (const mnist::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("none.pt: no checkpoint to resume from"), std::string::npos);
  }
  std::ofstream(dir.path() / "junk.pt") << "not a checkpoint";
  try {
    mnist::Trainer::read_checkpoint_header(dir.path() / "junk.pt");
    FAIL();
  } catch (const mnist::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.pt: not a readable checkpoint"), std::string::npos);
  }
  // A checkpoint from a different architecture does not silently load.
  mnist::Trainer small(small_spec(), small_settings(), torch::kCPU);
  small.save_checkpoint(dir.path() / "small.pt", 1, "{}");
  mnist::Trainer default_size(mnist::ModelSpec{}, small_settings(), torch::kCPU);
  EXPECT_THROW(default_size.load_checkpoint(dir.path() / "small.pt"), mnist::RuntimeError);
}
