// A training run (train/training_run.h) as a library call on a small subset of MNIST: stopped
// mid-epoch and resumed, it ends with the model and log of a run that never stopped; a stop after an epoch's
// last step ends the run once that epoch is logged; and the message for an interrupted run
// gives a command that resumes it.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "cli/train_command.h"
#include "train/training_run.h"
#include "small_models.h"
#include "test_support.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using mnist::test::quiet;


namespace {

mnist::TrainOptions subset_options(const fs::path& out_dir) {
  mnist::TrainOptions options;
  options.data_dir = MNIST_TEST_DATA_DIR;
  options.out_dir = out_dir;
  options.hidden = {32};
  options.dropout = 0.1;
  options.epochs = 3;
  options.batch_size = 64;
  options.train_limit = 640;  // 9 steps an epoch: the last tenth is held out for calibration
  options.test_limit = 100;
  options.seed = 5;
  return options;
}

void expect_same_exported_model(const fs::path& a, const fs::path& b) {
  auto model_a = torch::jit::load(a.string());
  auto model_b = torch::jit::load(b.string());
  std::map<std::string, torch::Tensor> b_parameters;
  for (const auto& item : model_b.named_parameters()) b_parameters[item.name] = item.value;
  ASSERT_EQ(b_parameters.size(), 4u);
  for (const auto& item : model_a.named_parameters()) {
    ASSERT_EQ(b_parameters.count(item.name), 1u) << item.name;
    EXPECT_TRUE(torch::equal(item.value, b_parameters[item.name])) << item.name << " differs";
  }
}

}  // namespace

TEST(RunTraining, StoppedMidEpochAndResumedEndsWithTheUninterruptedModelAndLog) {
  mnist::test::TempDir dir;
  const auto whole = mnist::run_training(subset_options(dir.path() / "whole"), torch::kCPU, quiet);
  ASSERT_FALSE(whole.interrupted);

  int asked = 0;
  const auto stopped = mnist::run_training(subset_options(dir.path() / "parts"), torch::kCPU, quiet,
                                           [&] { return ++asked == 13; });
  ASSERT_TRUE(stopped.interrupted);
  EXPECT_EQ(stopped.interrupted->epoch, 2);
  EXPECT_EQ(stopped.interrupted->batches_done, 4);
  EXPECT_EQ(stopped.interrupted->batches, 9);
  EXPECT_EQ(stopped.interrupted->checkpoint, dir.path() / "parts" / "checkpoint.pt");
  EXPECT_EQ(mnist::test::count_files(dir.path() / "parts"), 2) << "more than checkpoint and log";

  auto options = subset_options(dir.path() / "parts");
  options.resume = true;
  const auto resumed = mnist::run_training(options, torch::kCPU, quiet);
  ASSERT_FALSE(resumed.interrupted);
  EXPECT_EQ(resumed.epochs_trained, 2);
  expect_same_exported_model(dir.path() / "whole" / "mnist_mlp.pt", dir.path() / "parts" / "mnist_mlp.pt");
  EXPECT_EQ(mnist::test::log_figures(dir.path() / "whole" / "train_log.csv"),
            mnist::test::log_figures(dir.path() / "parts" / "train_log.csv"));
}

TEST(RunTraining, AStopAfterAnEpochsLastStepEndsTheRunOnceThatEpochIsLogged) {
  mnist::test::TempDir dir;
  auto options = subset_options(dir.path());
  options.batch_size = 640;  // one step an epoch: there is no middle to stop in
  const auto stopped = mnist::run_training(options, torch::kCPU, quiet, [] { return true; });
  ASSERT_TRUE(stopped.interrupted);
  EXPECT_EQ(stopped.interrupted->epoch, 1);
  EXPECT_EQ(stopped.interrupted->batches_done, 1);
  EXPECT_EQ(stopped.interrupted->batches, 1);
  const auto header = mnist::Trainer::read_checkpoint_header(dir.path() / "checkpoint.pt");
  EXPECT_EQ(header.epochs_done, 1);
  EXPECT_EQ(header.batches_done, 0);
  const std::string log = mnist::test::read_file(dir.path() / "train_log.csv");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;

  // Asked to stop after the very last step, the run finishes: only the exports remain.
  options.resume = true;
  options.epochs = 3;
  EXPECT_TRUE(mnist::run_training(options, torch::kCPU, quiet, [] { return true; }).interrupted);
  const auto finished = mnist::run_training(options, torch::kCPU, quiet, [] { return true; });
  EXPECT_FALSE(finished.interrupted);
  EXPECT_TRUE(fs::exists(dir.path() / "mnist_mlp.pt"));
}

TEST(Interruption, MessageSaysWhereAndGivesTheResumeCommand) {
  const mnist::TrainSummary::Interruption at{3, 812, 1875, "models/checkpoint.pt"};
  EXPECT_EQ(mnist::describe_interruption(at, {"build/app/mnist-train", "--epochs", "5", "--out-dir", "models"}),
            "interrupted at epoch 3, batch 812 of 1875: checkpoint written to models/checkpoint.pt; "
            "resume with: build/app/mnist-train --epochs 5 --out-dir models --resume");
  // Arguments a shell would split or expand come back quoted; --resume is not added twice.
  EXPECT_EQ(mnist::describe_interruption(at, {"mnist-train", "--resume", "--out-dir", "it's mine", "--hidden", ""}),
            "interrupted at epoch 3, batch 812 of 1875: checkpoint written to models/checkpoint.pt; "
            "resume with: mnist-train --resume --out-dir 'it'\\''s mine' --hidden ''");
}
