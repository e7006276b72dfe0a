// The tools' options as the library parses them, in this process: text becomes typed values
// once, every bad value is a UsageError naming its option, --help gives no options.
#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>

#include "cli/evaluate_options.h"
#include "cli/predict_options.h"
#include "cli/train_options.h"
#include "core/errors.h"
#include "core/option_values.h"
#include "test_support.h"


TEST(TrainOptions, ParsesHiddenSizes) {
  EXPECT_EQ(mnist::parse_hidden_sizes("300,100"), (std::vector<int64_t>{300, 100}));
  EXPECT_EQ(mnist::parse_hidden_sizes("64"), (std::vector<int64_t>{64}));
  for (const char* bad : {"", "300,,100", "300,", ",300", "abc", "0", "-5", "3e2", "300;100", "9999999"}) {
    try {
      mnist::parse_hidden_sizes(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const mnist::UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--hidden " + std::string(bad) + ":", 0), 0u) << e.what();
    }
  }
}

TEST(TrainOptions, ParsesTheScheduleAndTheRecipe) {
  EXPECT_EQ(mnist::parse_lr_schedule("cosine"), mnist::LrSchedule::kCosine);
  EXPECT_EQ(mnist::parse_lr_schedule("constant"), mnist::LrSchedule::kConstant);
  EXPECT_EQ(mnist::test::error_of<mnist::UsageError>([] { mnist::parse_lr_schedule("step"); }), "--lr-schedule step: expected constant or cosine");
  std::ostringstream help;
  const auto original = mnist::parse_train_args({"mnist-train", "--recipe", "original"}, help);
  ASSERT_TRUE(original);
  EXPECT_EQ(original->lr_schedule, mnist::LrSchedule::kConstant);
  EXPECT_EQ(mnist::test::error_of<mnist::UsageError>([&] { mnist::parse_train_args({"mnist-train", "--recipe", "slow"}, help); }),
            "--recipe slow: must be original, default, best or fast");
  EXPECT_TRUE(help.str().empty());
}

TEST(TrainOptions, TextBecomesTypedValuesOnce) {
  std::ostringstream help;
  const auto options = mnist::parse_train_args(
      {"mnist-train", "--hidden", "64,32,16", "--lr-schedule", "constant", "--out-dir", "a b/c", "--resume"}, help);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->hidden, (std::vector<int64_t>{64, 32, 16}));
  EXPECT_EQ(options->lr_schedule, mnist::LrSchedule::kConstant);
  EXPECT_EQ(options->out_dir, std::filesystem::path("a b/c"));
  EXPECT_TRUE(options->resume);
  EXPECT_EQ(mnist::format_hidden_sizes(options->hidden), "64,32,16");
}

TEST(Options, HelpGivesNoOptionsAndPrintsEveryOption) {
  std::ostringstream train_help;
  EXPECT_FALSE(mnist::parse_train_args({"mnist-train", "--help"}, train_help));
  EXPECT_NE(train_help.str().find("--label-smoothing"), std::string::npos) << train_help.str();
  std::ostringstream evaluate_help;
  EXPECT_FALSE(mnist::parse_evaluate_args({"mnist-evaluate", "-h"}, evaluate_help));
  EXPECT_NE(evaluate_help.str().find("--color-scale"), std::string::npos) << evaluate_help.str();
  std::ostringstream predict_help;
  EXPECT_FALSE(mnist::parse_predict_args({"mnist-predict", "--help"}, predict_help));
  EXPECT_NE(predict_help.str().find("--save-preprocessed"), std::string::npos) << predict_help.str();
}

TEST(EvaluateOptions, OutOfRangeValuesNameTheOption) {
  const auto check = [](const std::function<void(mnist::EvaluateOptions&)>& change,
                        const std::string& message) {
    mnist::EvaluateOptions options;
    change(options);
    EXPECT_EQ(mnist::test::error_of<mnist::UsageError>([&]() { mnist::validate(options); }), message);
  };
  check([](auto& o) { o.out = "models/confusion.jpg"; }, "--out models/confusion.jpg: must be a .png file name");
  check([](auto& o) { o.misclassified = -1; }, "--misclassified -1: must be an integer from 0 (none) to 500");
  check([](auto& o) { o.batch_size = 0; }, "--batch-size 0: must be an integer from 1 to 60000");
  check([](auto& o) { o.limit = -5; }, "--limit -5: must not be negative");
  check([](auto&) {}, "(no error)");
  // Named values are checked as they are parsed: nothing else can reach the options.
  EXPECT_EQ(mnist::test::error_of<mnist::UsageError>([] { mnist::parse_split("validation"); }), "--split validation: must be test, train or holdout");
  EXPECT_EQ(mnist::test::error_of<mnist::UsageError>([] { mnist::parse_color_scale("cubic"); }), "--color-scale cubic: must be log or linear");
}

TEST(EvaluateOptions, DescribeListsEveryOption) {
  const auto pairs = mnist::describe(mnist::EvaluateOptions{});
  std::string keys;
  for (const auto& [key, value] : pairs) keys += key + "=" + value + "\n";
  EXPECT_EQ(keys,
            "model=models/mnist_mlp.pt\nkeras_input_range=255\ndata_dir=data/mnist\nsplit=test\nout=models/confusion.png\n"
            "normalize=false\ncolor_scale=log\nmisclassified=0\ndevice=auto\nbatch_size=1000\n"
            "limit=0\ndrawn_variants=false\n");
}
