// A checkpoint's metadata text: what it stores, the identity check a resume makes, and every
// malformed text becoming one RuntimeError that names the checkpoint (some found by
// tests/fuzz/fuzz_checkpoint_metadata.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "test_support.h"
#include "train/checkpoint_history.h"

namespace {

using mnist::EpochReport;

const std::string kIdentity = R"({"hidden":"300,100","seed":42,"epochs":null})";

std::vector<EpochReport> two_epochs() {
  std::vector<EpochReport> history(2);
  for (int i = 0; i < 2; ++i) {
    history[i].epoch = i + 1;
    history[i].train_loss = 0.5 / (i + 1);
    history[i].test_accuracy = 0.9 + 0.01 * i;
    history[i].has_validation = i == 1;
    history[i].seconds = 3.25;
  }
  return history;
}

// Metadata as mnist-train writes it, one history row whose epoch is `epoch_json`.
std::string metadata_with_epoch(const std::string& epoch_json) {
  return R"({"identity":{"hidden":"300,100","seed":42,"epochs":null},"history":[{"epoch":)" + epoch_json +
         R"(,"train_loss":0.5,"train_accuracy":0.9,"has_validation":false,"val_loss":0,"val_accuracy":0,)"
         R"("test_loss":0.1,"test_accuracy":0.97,"seconds":3,"samples_per_second":1000}]})";
}

TEST(CheckpointHistory, WhatIsStoredComesBackForTheSameOptions) {
  const std::string text = mnist::checkpoint_metadata_text(kIdentity, two_epochs());
  const std::vector<EpochReport> back = mnist::checkpoint_history(text, kIdentity, 2, "ck.pt");
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].epoch, two_epochs()[i].epoch);
    EXPECT_EQ(back[i].train_loss, two_epochs()[i].train_loss);
    EXPECT_EQ(back[i].test_accuracy, two_epochs()[i].test_accuracy);
    EXPECT_EQ(back[i].has_validation, two_epochs()[i].has_validation);
  }
}

TEST(CheckpointHistory, OtherOptionsAreAUsageErrorNamingEachDifference) {
  const std::string text = mnist::checkpoint_metadata_text(kIdentity, two_epochs());
  const std::string asked = R"({"hidden":"300,100","seed":1,"epochs":50})";
  const std::string message =
      mnist::test::error_of<mnist::UsageError>([&] { mnist::checkpoint_history(text, asked, 2, "ck.pt"); });
  EXPECT_EQ(message, "--resume: ck.pt was trained with epochs=null, seed=42; this run asks for epochs=50, seed=1. "
                     "Use the same options, or train without --resume");
}

TEST(CheckpointHistory, MalformedMetadataIsOneRuntimeErrorNamingTheCheckpoint) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "ck.pt: checkpoint metadata is not valid JSON"},
      {"[1, 2]", "ck.pt: checkpoint metadata has no identity object"},
      {R"({"identity": {}})", "ck.pt: checkpoint metadata has no history array"},
      {R"({"identity": {}, "history": {}})", "ck.pt: checkpoint metadata has no history array"},
      // beyond int64: nlohmann's own conversion would be undefined behaviour (found by fuzzing)
      {metadata_with_epoch("2.2e35"), "ck.pt: checkpoint metadata has a malformed history row"},
      {metadata_with_epoch("1.5"), "ck.pt: checkpoint metadata has a malformed history row"},
      {metadata_with_epoch("\"one\""), "ck.pt: checkpoint metadata has a malformed history row"},
      {R"({"identity": {}, "history": [{"epoch": 1}]})", "ck.pt: checkpoint metadata has a malformed history row"},
      {R"({"identity": {}, "history": [7]})", "ck.pt: checkpoint metadata has a malformed history row"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = mnist::test::error_of<mnist::RuntimeError>(
        [&metadata = text] { mnist::checkpoint_history(metadata, "{}", 1, "ck.pt"); });
    EXPECT_EQ(message.substr(0, expected.size()), expected) << text;
    EXPECT_EQ(message.find('\n'), std::string::npos) << text;
  }
}

TEST(CheckpointHistory, AHistoryOfAnotherLengthThanTheEpochsDoneIsRefused) {
  const std::string text = mnist::checkpoint_metadata_text(kIdentity, two_epochs());
  EXPECT_EQ(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::checkpoint_history(text, kIdentity, 3, "ck.pt"); }),
            "ck.pt: checkpoint history is inconsistent");
}

}  // namespace
