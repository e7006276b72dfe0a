// Stopping in the middle of an epoch: a trainer stopped and resumed through its checkpoint, even
// at every step, ends bit-identical to one that never stopped, with the same epoch figures (on
// synthetic data); a full disk while writing a checkpoint leaves the previous one whole.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "small_models.h"
#include "synthetic_mnist.h"
#include "test_support.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using mnist::test::expect_identical_parameters;
using mnist::test::quiet;

namespace {

mnist::MnistTensors random_digits(int64_t count) {
  torch::manual_seed(99);
  return {torch::rand({count, 1, 28, 28}), torch::randint(0, 10, {count}, torch::kLong)};
}

// 100 examples in batches of 16: 7 steps an epoch, the last one short.
constexpr int64_t kExamples = 100;
constexpr int64_t kStepsPerEpoch = 7;

mnist::TrainSettings settings_with(std::function<bool()> should_stop = nullptr) {
  mnist::TrainSettings settings;
  settings.batch_size = 16;
  settings.seed = 21;
  settings.schedule = mnist::LrSchedule::kCosine;
  settings.total_epochs = 3;
  settings.should_stop = std::move(should_stop);
  return settings;
}

mnist::ModelSpec spec_with_dropout() {
  mnist::ModelSpec spec;
  spec.hidden = {32, 16};
  spec.dropout = 0.2;  // the randomness a mid-epoch resume must carry over
  return spec;
}

void expect_same_figures(const mnist::EpochTrainStats& a, const mnist::EpochTrainStats& b) {
  EXPECT_EQ(a.loss, b.loss);  // exactly: the running sums carry over, not a re-estimate
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_TRUE(a.finished && b.finished);
}

}  // namespace

TEST(MidEpochCheckpoint, ResumedFromTheMiddleOfAnEpochEndsBitIdentical) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "checkpoint.pt";
  const auto data = random_digits(kExamples);
  mnist::Trainer uninterrupted(spec_with_dropout(), settings_with(), torch::kCPU);
  std::vector<mnist::EpochTrainStats> expected;
  for (int epoch = 1; epoch <= 3; ++epoch) expected.push_back(uninterrupted.train_epoch(epoch, data, quiet));

  {
    // Asked after every step, it says stop at the 10th: after the 3rd step of epoch 2.
    int asked = 0;
    mnist::Trainer stopped(spec_with_dropout(), settings_with([&] { return ++asked == 10; }), torch::kCPU);
    expect_same_figures(stopped.train_epoch(1, data, quiet), expected[0]);
    const auto partial = stopped.train_epoch(2, data, quiet);
    EXPECT_FALSE(partial.finished);
    EXPECT_TRUE(partial.stop_requested);
    EXPECT_EQ(partial.batches_done, 3);
    EXPECT_EQ(partial.batches, kStepsPerEpoch);
    EXPECT_EQ(partial.samples, 48);
    stopped.save_checkpoint(path, /*epochs_done=*/1, R"({"note":"mid-epoch"})");
  }
  const auto header = mnist::Trainer::read_checkpoint_header(path);
  EXPECT_EQ(header.epochs_done, 1);
  EXPECT_EQ(header.batches_done, 3);
  EXPECT_EQ(header.metadata, R"({"note":"mid-epoch"})");

  // A new process would start with other generator states.
  torch::manual_seed(12345);
  torch::rand({1000});
  mnist::Trainer resumed(spec_with_dropout(), settings_with(), torch::kCPU);
  EXPECT_EQ(resumed.load_checkpoint(path).batches_done, 3);
  expect_same_figures(resumed.train_epoch(2, data, quiet), expected[1]);
  expect_same_figures(resumed.train_epoch(3, data, quiet), expected[2]);
  expect_identical_parameters(uninterrupted.model(), resumed.model());
}

TEST(MidEpochCheckpoint, StoppedAndResumedByANewTrainerAtEveryStepEndsBitIdentical) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "checkpoint.pt";
  const auto data = random_digits(kExamples);
  mnist::Trainer uninterrupted(spec_with_dropout(), settings_with(), torch::kCPU);
  std::vector<mnist::EpochTrainStats> expected;
  for (int epoch = 1; epoch <= 2; ++epoch) expected.push_back(uninterrupted.train_epoch(epoch, data, quiet));

  int trainers = 0;
  int asked = 0;
  for (int64_t epoch = 1; epoch <= 2;) {
    torch::manual_seed(1000 + trainers);
    mnist::Trainer trainer(spec_with_dropout(), settings_with([&] { return ++asked > 0; }), torch::kCPU);
    if (fs::exists(path)) trainer.load_checkpoint(path);
    const auto stats = trainer.train_epoch(epoch, data, quiet);
    ++trainers;
    EXPECT_EQ(stats.batches_done, trainers - (epoch - 1) * kStepsPerEpoch);
    trainer.save_checkpoint(path, stats.finished ? epoch : epoch - 1, "{}");
    EXPECT_TRUE(stats.stop_requested);
    if (stats.finished) {
      expect_same_figures(stats, expected[static_cast<size_t>(epoch - 1)]);
      ++epoch;
    }
    ASSERT_LE(trainers, 2 * kStepsPerEpoch) << "an epoch did not end";
  }
  EXPECT_EQ(trainers, 2 * kStepsPerEpoch);
  EXPECT_EQ(asked, 2 * kStepsPerEpoch);

  mnist::Trainer final_state(spec_with_dropout(), settings_with(), torch::kCPU);
  const auto header = final_state.load_checkpoint(path);
  EXPECT_EQ(header.epochs_done, 2);
  EXPECT_EQ(header.batches_done, 0);
  expect_identical_parameters(uninterrupted.model(), final_state.model());
}

TEST(MidEpochCheckpoint, AStoppedEpochMustBeContinuedBeforeAnother) {
  const auto data = random_digits(kExamples);
  mnist::Trainer trainer(spec_with_dropout(), settings_with([] { return true; }), torch::kCPU);
  EXPECT_FALSE(trainer.train_epoch(1, data, quiet).finished);
  try {
    trainer.train_epoch(2, data, quiet);
    FAIL() << "trained epoch 2 while epoch 1 was in progress";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("epoch 1 is in progress, asked for epoch 2"), std::string::npos)
        << e.what();
  }
  mnist::test::TempDir dir;
  EXPECT_THROW(trainer.save_checkpoint(dir.path() / "checkpoint.pt", /*epochs_done=*/1, "{}"),
               std::logic_error);
  EXPECT_EQ(mnist::test::count_files(dir.path()), 0);
}

TEST(CheckpointWriting, AFullDiskKeepsThePreviousCheckpointAndLeavesNoTemporaryFile) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "checkpoint.pt";
  const auto data = random_digits(kExamples);
  mnist::Trainer trainer(spec_with_dropout(), settings_with(), torch::kCPU);
  trainer.train_epoch(1, data, quiet);
  trainer.save_checkpoint(path, 1, "{}");
  const std::string previous = mnist::test::read_file(path);
  trainer.train_epoch(2, data, quiet);  // new weights, a checkpoint of the same size

  // A file-size limit makes write() fail with EFBIG past it, as a full disk fails with ENOSPC:
  // half-way, and with only the archive's last bytes (its directory) left to write.
  struct rlimit unlimited {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &unlimited), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  for (const rlim_t limit : {static_cast<rlim_t>(previous.size() / 2), static_cast<rlim_t>(previous.size() - 64)}) {
    SCOPED_TRACE("file size limit " + std::to_string(limit) + " of " + std::to_string(previous.size()));
    struct rlimit limited = unlimited;
    limited.rlim_cur = limit;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    std::string message;
    try {
      trainer.save_checkpoint(path, 2, "{}");
    } catch (const mnist::RuntimeError& e) {
      message = e.what();
    }
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &unlimited), 0);
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("disk full?"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(mnist::test::read_file(path), previous) << "the previous checkpoint changed";
    EXPECT_EQ(mnist::test::count_files(dir.path()), 1) << "a temporary file was left behind";
  }
  ::signal(SIGXFSZ, old_handler);

  trainer.save_checkpoint(path, 2, "{}");
  EXPECT_EQ(mnist::Trainer::read_checkpoint_header(path).epochs_done, 2);
}
