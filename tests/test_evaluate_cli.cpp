// mnist-evaluate as a user runs it: exit codes, one-line errors, the report, the files written.
// Models come from mnist-train (a short run on a small subset) or are TorchScript modules built
// here; the data are small subsets of the real MNIST files that scripts/setup.sh fetches.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_expectations.h"
#include "data/mnist_dataset.h"
#include "scripted_modules.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::ChildResult;
using mnist::test::read_file;
using nlohmann::json;

namespace {

ChildResult run_binary(const std::string& binary, const std::string& arguments) {
  return mnist::test::run_shell(binary + " " + arguments);
}

ChildResult run_evaluate(const std::string& arguments) { return run_binary(MNIST_EVALUATE_BINARY, arguments); }

using mnist::test::kDataDirOption;

void expect_evaluate_error(const ChildResult& run, int exit_code, const std::string& phrase) {
  mnist::test::expect_one_line_error(run, "mnist-evaluate", exit_code, phrase);
}

// Answers 3 with probability 0.55 whatever the image, as a model file any program can load.
fs::path save_always_three(const fs::path& path) {
  mnist::test::always_three().save(path.string());
  return path;
}

}  // namespace

TEST(EvaluateCli, DataIsPresent) {
  ASSERT_TRUE(fs::exists(fs::path(MNIST_TEST_DATA_DIR) / "t10k-images-idx3-ubyte"))
      << "MNIST is missing from " << MNIST_TEST_DATA_DIR << ": run scripts/setup.sh";
}

TEST(EvaluateCli, HelpListsEveryOptionWithItsDefault) {
  const auto run = run_evaluate("--help");
  EXPECT_EQ(run.exit_code, 0);
  mnist::test::expect_help_defaults(
      run.out, {{"--model", "models/mnist_mlp.pt"}, {"--keras-input-range", "255"}, {"--data-dir", "data/mnist"}, {"--split", "test"},
                {"--out", "models/confusion.png"}, {"--normalize", ""}, {"--color-scale", "log"},
                {"--misclassified", "0"}, {"--device", "auto"}, {"--batch-size", "1000"}, {"--limit", "0"},
                {"--drawn-variants", ""}, {"--help", ""}});
}

TEST(EvaluateCli, BadOptionsExitWithUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--split validation", "--split validation"},
      {"--misclassified=-1", "--misclassified -1"},
      {"--misclassified many", "--misclassified many"},
      {"--limit abc", "--limit abc"},
      {"--batch-size 0", "--batch-size 0"},
      {"--out confusion.jpg", "--out confusion.jpg"},
      {"--color-scale cubic", "--color-scale cubic"},
      {"--device tpu", "--device tpu"},
      {"--no-such-option", "no-such-option"},
      {"stray-argument", "stray-argument"},
  };
  for (const auto& [arguments, phrase] : cases) {
    SCOPED_TRACE(arguments);
    expect_evaluate_error(run_evaluate(arguments), 2, phrase);
  }
}

TEST(EvaluateCli, BadModelsAreOneLineRuntimeErrors) {
  mnist::test::TempDir dir;
  const std::string out = " --out " + (dir.path() / "out" / "confusion.png").string();

  const fs::path missing = dir.path() / "nowhere.pt";
  expect_evaluate_error(run_evaluate(kDataDirOption + " --limit 50 --model " + missing.string() + out), 1,
                        missing.string() + ": model file missing. Train one with mnist-train.");

  const fs::path text_file = dir.path() / "notes.pt";
  std::ofstream(text_file) << "this is not a TorchScript archive\n";
  expect_evaluate_error(run_evaluate(kDataDirOption + " --limit 50 --model " + text_file.string() + out), 1,
                        text_file.string() + ": not a readable TorchScript model");

  const fs::path five_file = mnist::test::save_scripted_module(
      dir.path() / "five.pt",
      "def forward(self, x: Tensor) -> Tensor:\n"
      "    return torch.softmax(x.reshape(x.size(0), 784)[:, :5], 1)\n");
  expect_evaluate_error(run_evaluate(kDataDirOption + " --limit 50 --model " + five_file.string() + out), 1,
                        five_file.string() + ": model output has shape [50, 5]");
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "confusion.png"));
}

TEST(EvaluateCli, MissingDataAndUnwritableOutputAreRuntimeErrors) {
  mnist::test::TempDir dir;
  const fs::path model = save_always_three(dir.path() / "always3.pt");
  const auto no_data = run_evaluate("--model " + model.string() + " --data-dir " +
                                    (dir.path() / "nodata").string() + " --out " +
                                    (dir.path() / "confusion.png").string());
  expect_evaluate_error(no_data, 1, (dir.path() / "nodata").string());

  std::ofstream(dir.path() / "file") << "x";
  const auto unwritable = run_evaluate(kDataDirOption + " --model " + model.string() + " --out " +
                                       (dir.path() / "file" / "sub" / "confusion.png").string());
  expect_evaluate_error(unwritable, 1, "cannot create output directory");
}

TEST(EvaluateCli, AModelThatAlwaysAnswersThreeGetsTheExactMatrix) {
  mnist::test::TempDir dir;
  const fs::path model = save_always_three(dir.path() / "always3.pt");
  const fs::path out = dir.path() / "report" / "confusion.png";
  const auto run = run_evaluate(kDataDirOption + " --limit 300 --batch-size 64 --model " + model.string() +
                                " --out " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const auto labels = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 300).labels;
  std::vector<int64_t> support(10, 0);
  for (int64_t i = 0; i < labels.size(0); ++i) ++support[static_cast<size_t>(labels[i].item<int64_t>())];

  const json metrics = json::parse(read_file(dir.path() / "report" / "metrics.json"));
  EXPECT_EQ(metrics["count"], 300);
  EXPECT_EQ(metrics["correct"], support[3]);
  EXPECT_DOUBLE_EQ(metrics["accuracy"].get<double>(), support[3] / 300.0);
  for (int truth = 0; truth < 10; ++truth) {
    for (int predicted = 0; predicted < 10; ++predicted) {
      EXPECT_EQ(metrics["confusion_matrix"][truth][predicted], predicted == 3 ? support[truth] : 0)
          << truth << "," << predicted;
    }
  }
  EXPECT_EQ(metrics["per_class"][3]["recall"], 1.0);
  EXPECT_EQ(metrics["per_class"][4]["recall"], 0.0);
  char accuracy_line[64];
  std::snprintf(accuracy_line, sizeof accuracy_line, "accuracy %.4f +/- ", support[3] / 300.0);
  EXPECT_NE(run.out.find(accuracy_line), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("4 -> 3: " + std::to_string(support[4]) + "\n"), std::string::npos) << run.out;
  // Always 55% sure of a 3, right only on the 3s: every image in the bin (8/15, 9/15], and the
  // ECE is the gap between 0.55 and the accuracy.
  const double confidence = metrics["mean_confidence"].get<double>();
  EXPECT_NEAR(confidence, 0.55, 1e-6);
  EXPECT_NEAR(metrics["expected_calibration_error"].get<double>(), std::abs(confidence - support[3] / 300.0), 1e-12);
  EXPECT_EQ(metrics["calibration"]["reliability"][8]["count"], 300);
  EXPECT_EQ(metrics["calibration"]["coverage"][0]["threshold"], 0.5);
  EXPECT_EQ(metrics["calibration"]["coverage"][0]["answered"], 300);
  EXPECT_EQ(metrics["calibration"]["coverage"][1]["answered"], 0);
  EXPECT_NE(run.out.find("expected calibration error "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("(15 equal-width confidence bins)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("answering only when the top probability is at least t:"), std::string::npos) << run.out;
  EXPECT_TRUE(fs::exists(dir.path() / "report" / "reliability.png"));
  // No train_log.csv beside this model, so no training curves; nothing else left behind.
  EXPECT_EQ(mnist::test::count_files(dir.path() / "report"), 3);
  EXPECT_EQ(mnist::test::count_files(dir.path()), 2);
}

TEST(EvaluateCli, ATrainedModelGetsEveryReportAndPicture) {
  mnist::test::TempDir dir;
  const fs::path models = dir.path() / "models";
  const auto trained = run_binary(MNIST_TRAIN_BINARY, kDataDirOption + " --train-limit 600 --test-limit 200 "
                                  "--epochs 2 --hidden 32,16 --out-dir " + models.string());
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  const fs::path out = dir.path() / "eval" / "confusion.png";
  const auto run = run_evaluate(kDataDirOption + " --limit 300 --normalize --misclassified 8 --model " +
                                (models / "mnist_mlp.pt").string() + " --out " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.err.empty()) << run.err;
  EXPECT_NE(run.out.find("normalize=true\n"), std::string::npos);
  EXPECT_NE(run.out.find("using device="), std::string::npos);
  EXPECT_NE(run.out.find("mnist_mlp (784-32-16-10) on the first 300 of the MNIST test set: 300 images"),
            std::string::npos) << run.out;
  EXPECT_NE(run.out.find("most confused (truth -> predicted: count):\n"), std::string::npos) << run.out;
  for (const fs::path& file : {out, dir.path() / "eval" / "metrics.json",
                               dir.path() / "eval" / "misclassified.png",
                               dir.path() / "eval" / "reliability.png",
                               models / "training_curves.png"}) {
    EXPECT_TRUE(fs::exists(file)) << file;
    EXPECT_NE(run.out.find("wrote " + file.string() + "\n"), std::string::npos) << file;
  }
  EXPECT_EQ(mnist::test::count_files(dir.path() / "eval"), 4) << "temporary files left behind";

  const json metrics = json::parse(read_file(dir.path() / "eval" / "metrics.json"));
  EXPECT_EQ(metrics["count"], 300);
  EXPECT_EQ(metrics["model"]["name"], "mnist_mlp (784-32-16-10)");
  EXPECT_EQ(metrics["heatmap"]["values"], "row percentages");
  EXPECT_EQ(metrics["per_class"].size(), 10u);
  int64_t total = 0, correct = 0;
  for (int truth = 0; truth < 10; ++truth) {
    double row_percent = 0;
    for (int predicted = 0; predicted < 10; ++predicted) {
      total += metrics["confusion_matrix"][truth][predicted].get<int64_t>();
      row_percent += metrics["confusion_matrix_row_percentages"][truth][predicted].get<double>();
    }
    correct += metrics["confusion_matrix"][truth][truth].get<int64_t>();
    EXPECT_NEAR(row_percent, 100.0, 1e-9);
  }
  EXPECT_EQ(total, 300);
  EXPECT_DOUBLE_EQ(metrics["accuracy"].get<double>(), correct / 300.0);
  EXPECT_GT(metrics["accuracy"].get<double>(), 0.2);  // two short epochs: well above chance, no more
  EXPECT_NEAR(metrics["accuracy_standard_error"].get<double>(),
              std::sqrt(correct / 300.0 * (1 - correct / 300.0) / 300), 1e-12);
  EXPECT_GT(metrics["loss"].get<double>(), 0.0);
  EXPECT_FALSE(metrics["most_confused"].empty());

  // Python's torch.jit.load and numpy, reading the IDX files themselves, agree with every number.
  const auto python = run_binary(MNIST_TEST_PYTHON, std::string(MNIST_TEST_SCRIPTS_DIR) +
                                 "/check_evaluation.py " + (models / "mnist_mlp.pt").string() +
                                 " " + MNIST_TEST_DATA_DIR + " 300 " +
                                 (dir.path() / "eval" / "metrics.json").string());
  EXPECT_EQ(python.exit_code, 0) << python.out << python.err;
  EXPECT_EQ(python.out.rfind("OK: 300 images", 0), 0u) << python.out << python.err;
}

TEST(EvaluateCli, TheTrainSplitCanBeEvaluated) {
  mnist::test::TempDir dir;
  const fs::path model = save_always_three(dir.path() / "always3.pt");
  const auto run = run_evaluate(kDataDirOption + " --split train --limit 100 --model " + model.string() +
                                " --out " + (dir.path() / "confusion.png").string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("on the first 100 of the MNIST train set: 100 images"), std::string::npos)
      << run.out;
}

TEST(EvaluateCli, TheHeldOutTrainingImagesCanBeEvaluated) {
  // --split holdout: the last tenth of the training set (images 54000-59999), which the
  // calibrating recipes never train on; --limit takes the first of those.
  mnist::test::TempDir dir;
  const fs::path model = save_always_three(dir.path() / "always3.pt");
  const auto run = run_evaluate(kDataDirOption + " --split holdout --limit 200 --model " + model.string() +
                                " --out " + (dir.path() / "confusion.png").string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("split=holdout"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("on the first 200 of the MNIST training images held out (the last 10%, not trained on): "
                         "200 images"),
            std::string::npos)
      << run.out;
  const auto train = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTrain);
  const auto threes = train.labels.narrow(0, 54000, 200).eq(3).sum().item<int64_t>();
  char expected[64];
  std::snprintf(expected, sizeof expected, "accuracy %.4f ", static_cast<double>(threes) / 200);
  EXPECT_NE(run.out.find(expected), std::string::npos) << expected << " in " << run.out;
  std::ifstream metrics(dir.path() / "metrics.json");
  EXPECT_EQ(nlohmann::json::parse(metrics)["data"]["split"], "holdout");
}
