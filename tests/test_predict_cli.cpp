// mnist-predict as a user runs it: output per file (text and JSON), MNIST images giving the test
// set's predictions, one batch per call, the preprocessed inputs written, and every error: bad
// options, bad models and bad image files, each a single line while the other files go on.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>
#include <sstream>

#include "cli_expectations.h"
#include "data/mnist_dataset.h"
#include "export/torchscript.h"
#include "model/model.h"
#include "scripted_modules.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Args = std::vector<std::string>;
using mnist::test::operator+;

mnist::test::ChildResult run_program(const std::string& binary, const Args& arguments) {
  return mnist::test::run_command(Args{binary} + arguments);
}

mnist::test::ChildResult run_predict(const Args& arguments) {
  return run_program(MNIST_PREDICT_BINARY, arguments);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void expect_predict_error(const mnist::test::ChildResult& run, int exit_code, const std::string& phrase) {
  mnist::test::expect_one_line_error(run, "mnist-predict", exit_code, phrase);
}

// An untrained model: enough where only the plumbing is under test.
fs::path untrained_model(const fs::path& dir) {
  torch::manual_seed(1);
  const fs::path path = dir / "untrained.pt";
  mnist::export_torchscript(mnist::build_mlp({}), path, "{}");
  return path;
}

// A model trained by mnist-train on a small subset: about 90% accurate, in two seconds. Without
// the default's redrawn styles and augmentation: in one epoch of 3,000 images they cost the
// plain digits these tests read more confidence than the tests allow (a drawn 4 fell to "4 or
// 9?" at 0.78 with the styles, and to "4 or 9?" at 0.52 with both).
fs::path trained_model(const fs::path& dir) {
  const auto run = run_program(MNIST_TRAIN_BINARY, {"--data-dir", MNIST_TEST_DATA_DIR, "--epochs", "1", "--train-limit",
                                                    "3000", "--test-limit", "100", "--drawn-styles", "0", "--augment", "0",
                                                    "--out-dir", dir / "trained"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return dir / "trained" / "mnist_mlp.pt";
}

// A TorchScript model with a custom forward, saved to dir/name.
fs::path scripted_model(const fs::path& dir, const std::string& name, const std::string& forward) {
  return mnist::test::save_scripted_module(dir / (name + ".pt"), forward, name);
}

cv::Mat mnist_test_image(const mnist::MnistTensors& test, int64_t index) {
  const auto bytes = (test.images[index][0] * 255).round().to(torch::kUInt8).contiguous();
  return cv::Mat(28, 28, CV_8UC1, bytes.data_ptr<uint8_t>()).clone();
}

// A large dark "4" on light paper, off-centre.
cv::Mat drawn_four() {
  cv::Mat canvas(240, 320, CV_8UC1, cv::Scalar(235));
  cv::line(canvas, {180, 20}, {80, 150}, cv::Scalar(30), 14);
  cv::line(canvas, {80, 150}, {230, 150}, cv::Scalar(30), 14);
  cv::line(canvas, {190, 60}, {190, 225}, cv::Scalar(30), 14);
  return canvas;
}

void write_png(const fs::path& path, const cv::Mat& image) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), image)) << path;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST(PredictCli, DataIsPresent) {
  ASSERT_TRUE(fs::exists(fs::path(MNIST_TEST_DATA_DIR) / "t10k-images-idx3-ubyte"))
      << "MNIST is missing from " << MNIST_TEST_DATA_DIR << ": run scripts/setup.sh";
}

TEST(PredictCli, HelpListsEveryOptionWithItsDefault) {
  const auto run = run_predict({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  mnist::test::expect_help_defaults(run.out, {{"--model", "models/mnist_mlp.pt"}, {"--keras-input-range", "255"}, {"--json", ""},
                                              {"--save-preprocessed", ""}, {"--device", "cpu"},
                                              {"--uncertain-below", "0.8"}, {"--help", ""}});
  EXPECT_NE(mnist::test::option_help(run.out, "--save-preprocessed").find("DIR"), std::string::npos);
  for (const char* text : {"IMAGE...", "50 megapixels"}) EXPECT_NE(run.out.find(text), std::string::npos) << text;
}

TEST(PredictCli, BadOptionsExitWithUsageErrors) {
  const std::vector<std::pair<Args, std::string>> cases = {
      {{}, "no image files given"},
      {{"--json"}, "no image files given"},
      {{"--device", "tpu", "a.png"}, "--device tpu"},
      {{"--model", "", "a.png"}, "--model ''"},
      {{"--no-such-option", "a.png"}, "no-such-option"},
      {{"a.png", "--save-preprocessed"}, "save-preprocessed"},
  };
  for (const auto& [arguments, phrase] : cases) {
    SCOPED_TRACE(phrase);
    expect_predict_error(run_predict(arguments), 2, phrase);
  }
}

TEST(PredictCli, ModelErrorsAreOneLineAndNameTheModel) {
  mnist::test::TempDir dir;
  write_png(dir.path() / "digit.png", drawn_four());
  const std::string image = dir.path() / "digit.png";

  expect_predict_error(run_predict({"--model", dir.path() / "none.pt", image}), 1,
                        (dir.path() / "none.pt").string() + ": model file missing. Train one with mnist-train.");
  write_bytes(dir.path() / "junk.pt", "not a model");
  expect_predict_error(run_predict({"--model", dir.path() / "junk.pt", image}), 1,
                        (dir.path() / "junk.pt").string() + ": not a readable TorchScript model");

  const auto logits = scripted_model(dir.path(), "Logits",
      "def forward(self, x: Tensor) -> Tensor:\n    return x.reshape(x.size(0), 784)[:, :10] - 1.0\n");
  expect_predict_error(run_predict({"--model", logits, image}), 1,
                        logits.string() + ": model output rows are not probabilities");
  const auto wide = scripted_model(dir.path(), "Wide",
      "def forward(self, x: Tensor) -> Tensor:\n    return torch.softmax(x.reshape(x.size(0), 784), 1)\n");
  expect_predict_error(run_predict({"--model", wide, image}), 1,
                        wide.string() + ": model output has shape [1, 784] for a batch of 1 images, expected [N,10]");
  const auto flat = scripted_model(dir.path(), "Flat",
      "def forward(self, x: Tensor) -> Tensor:\n    return torch.softmax(x.reshape(x.size(0), 7, 112), 1)\n");
  expect_predict_error(run_predict({"--model", flat, image}), 1,
                        flat.string() + ": model output has shape [1, 7, 112]");
}

TEST(PredictCli, MnistTestImagesSavedAsPngGetTheTestSetPredictions) {
  mnist::test::TempDir dir;
  const fs::path model_path = trained_model(dir.path());
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 40);
  Args arguments = {"--json", "--model", model_path};
  for (int64_t i = 0; i < test.size(); ++i) {
    const fs::path png = dir.path() / ("test" + std::to_string(i) + ".png");
    write_png(png, mnist_test_image(test, i));
    arguments.push_back(png);
  }
  const auto run = run_predict(arguments);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");

  auto model = mnist::load_torchscript(model_path);
  torch::NoGradGuard no_grad;
  const auto expected = model.forward({test.images}).toTensor();
  const auto output = json::parse(run.out);
  ASSERT_EQ(output["images"].size(), 40u);
  EXPECT_EQ(output["classified"], 40);
  EXPECT_EQ(output["failed"], 0);
  int64_t correct = 0;
  for (int64_t i = 0; i < test.size(); ++i) {
    const auto& image = output["images"][static_cast<size_t>(i)];
    EXPECT_EQ(image["file"], (dir.path() / ("test" + std::to_string(i) + ".png")).string());
    EXPECT_EQ(image["digit"].get<int64_t>(), expected[i].argmax().item<int64_t>()) << "image " << i;
    EXPECT_TRUE(image["already_mnist"].get<bool>());
    EXPECT_FALSE(image["inverted"].get<bool>());
    for (int64_t d = 0; d < 10; ++d) {
      EXPECT_NEAR(image["probabilities"][static_cast<size_t>(d)].get<double>(), expected[i][d].item<double>(), 1e-6);
    }
    ASSERT_EQ(image["top"].size(), 3u);
    EXPECT_EQ(image["top"][0]["digit"], image["digit"]);
    EXPECT_GE(image["top"][0]["probability"].get<double>(), image["top"][1]["probability"].get<double>());
    EXPECT_GE(image["top"][1]["probability"].get<double>(), image["top"][2]["probability"].get<double>());
    correct += image["digit"].get<int64_t>() == test.labels[i].item<int64_t>();
  }
  EXPECT_GE(correct, 32) << "the trained model should get most of these right";
}

TEST(PredictCli, ADrawnDigitIsRecognised) {
  mnist::test::TempDir dir;
  const fs::path model_path = trained_model(dir.path());
  write_png(dir.path() / "four.png", drawn_four());
  const auto run = run_predict({"--model", model_path, dir.path() / "four.png"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::regex line("(^|\n)" + (dir.path() / "four.png").string() +
                        R"(: 4 \(p=[01]\.\d{4}\)  top 3: 4 [01]\.\d{4}, \d [01]\.\d{4}, \d [01]\.\d{4}\n)");
  EXPECT_TRUE(std::regex_search(run.out, line)) << run.out;
  EXPECT_NE(run.out.find("model=" + model_path.string() + "\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("1 of 1 images classified"), std::string::npos) << run.out;
}

TEST(PredictCli, BadFilesGetOneLineEachAndTheOthersAreClassified) {
  mnist::test::TempDir dir;
  const fs::path model = untrained_model(dir.path());
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 1);
  const fs::path d = dir.path();
  write_png(d / "good.png", mnist_test_image(test, 0));
  write_bytes(d / "notes.txt", "hello, not an image\n");
  write_bytes(d / "empty.png", "");
  write_bytes(d / "zero.pgm", "P5\n0 0\n255\n");
  // A real PNG signature and IHDR claiming 20000x20000, followed by nothing a decoder could use.
  write_bytes(d / "huge.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x4e\x20\0\0\x4e\x20\x08\0\0\0\0\0\0\0\0", 33));
  std::vector<uint8_t> png;
  cv::imencode(".png", drawn_four(), png);
  write_bytes(d / "truncated.png", std::string(png.begin(), png.begin() + static_cast<long>(png.size() / 2)));
  fs::create_directory(d / "folder");
  write_png(d / "also good.jpg", drawn_four());

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"notes.txt", "not an image in a supported format"},
      {"empty.png", "empty file, not an image"},
      {"zero.pgm", "PGM image has no pixels (0x0)"},
      {"huge.png", "PNG image of 20000x20000 pixels is above the limit of 50000000 pixels"},
      {"missing.png", "no such file"},
      {"truncated.png", "cannot decode the PNG data (libpng error: PNG input buffer is incomplete)"},
      {"folder", "is a directory, not an image"}};
  Args files = {d / "good.png"};
  for (const auto& [name, phrase] : bad) files.push_back(d / name);
  files.push_back(d / "also good.jpg");

  for (const bool as_json : {false, true}) {
    SCOPED_TRACE(as_json ? "--json" : "text");
    Args arguments = {"--model", model};
    if (as_json) arguments.push_back("--json");
    arguments.insert(arguments.end(), files.begin(), files.end());
    const auto run = run_predict(arguments);
    EXPECT_EQ(run.exit_code, 1);
    const auto lines = lines_of(run.err);
    ASSERT_EQ(lines.size(), bad.size()) << run.err;
    for (size_t i = 0; i < bad.size(); ++i) {
      EXPECT_EQ(lines[i].rfind("mnist-predict: " + (d / bad[i].first).string() + ": " + bad[i].second, 0), 0u) << lines[i];
    }
    if (!as_json) {
      EXPECT_NE(run.out.find((d / "good.png").string() + ": "), std::string::npos) << run.out;
      EXPECT_NE(run.out.find((d / "also good.jpg").string() + ": "), std::string::npos) << run.out;
      EXPECT_NE(run.out.find("2 of 9 images classified"), std::string::npos) << run.out;
      continue;
    }
    const auto output = json::parse(run.out);
    EXPECT_EQ(output["classified"], 2);
    EXPECT_EQ(output["failed"], 7);
    ASSERT_EQ(output["images"].size(), 9u);
    EXPECT_TRUE(output["images"][0].contains("digit"));
    EXPECT_TRUE(output["images"][8].contains("digit"));
    for (size_t i = 0; i < bad.size(); ++i) {
      const auto& entry = output["images"][i + 1];
      EXPECT_EQ(entry["file"], (d / bad[i].first).string());
      EXPECT_EQ(entry["error"].get<std::string>().rfind((d / bad[i].first).string() + ": " + bad[i].second, 0), 0u);
      EXPECT_FALSE(entry.contains("digit"));
    }
  }
}

TEST(PredictCli, ManyFilesGoThroughTheModelInOneBatch) {
  mnist::test::TempDir dir;
  // This model answers "N mod 10" for a batch of N images.
  const auto counter = scripted_model(dir.path(), "BatchCounter",
      "def forward(self, x: Tensor) -> Tensor:\n"
      "    n = x.size(0)\n"
      "    logits = torch.zeros(n, 10)\n"
      "    logits[:, n % 10] = 20.0\n"
      "    return torch.softmax(logits, 1)\n");
  Args arguments = {"--json", "--model", counter};
  for (int i = 0; i < 3; ++i) {
    write_png(dir.path() / (std::to_string(i) + ".png"), drawn_four());
    arguments.push_back(dir.path() / (std::to_string(i) + ".png"));
  }
  const auto run = run_predict(arguments);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json results = json::parse(run.out);  // named: a range-for over a temporary's member dangles
  ASSERT_EQ(results["images"].size(), 3u);
  for (const auto& image : results["images"]) EXPECT_EQ(image["digit"], 3);
}

TEST(PredictCli, SavePreprocessedWritesWhatTheModelSaw) {
  mnist::test::TempDir dir;
  const fs::path model = untrained_model(dir.path());
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 1);
  const cv::Mat mnist_image = mnist_test_image(test, 0);
  write_png(dir.path() / "a" / "digit.png", mnist_image);
  write_png(dir.path() / "b" / "digit.png", drawn_four());  // same name, other folder
  const fs::path out = dir.path() / "seen";
  const auto run = run_predict({"--json", "--model", model, "--save-preprocessed", out, dir.path() / "a" / "digit.png",
                                dir.path() / "b" / "digit.png"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto images = json::parse(run.out)["images"];
  EXPECT_EQ(images[0]["preprocessed"], (out / "digit-28x28.png").string());
  EXPECT_EQ(images[1]["preprocessed"], (out / "digit-2-28x28.png").string());
  EXPECT_EQ(mnist::test::count_files(out), 2);

  const cv::Mat first = cv::imread((out / "digit-28x28.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(first.type(), CV_8UC1);
  EXPECT_EQ(cv::countNonZero(first != mnist_image), 0) << "an MNIST image must pass through unchanged";
  const cv::Mat second = cv::imread((out / "digit-2-28x28.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(second.type(), CV_8UC1);
  ASSERT_EQ(second.size(), cv::Size(28, 28));
  EXPECT_EQ(second.at<uint8_t>(0, 0), 0);  // white on black now
  double brightest = 0;
  cv::minMaxLoc(second, nullptr, &brightest);
  EXPECT_EQ(brightest, 255);
  EXPECT_TRUE(images[1]["inverted"].get<bool>());

  // Checked before any work: nothing is classified when the directory cannot be made.
  write_bytes(dir.path() / "file", "x");
  const auto refused = run_predict({"--model", model, "--save-preprocessed", dir.path() / "file" / "seen",
                                    dir.path() / "a" / "digit.png"});
  expect_predict_error(refused, 1, "cannot create output directory");
  EXPECT_EQ(refused.out.find("digit.png: "), std::string::npos) << refused.out;
}

TEST(PredictCli, UncertainBelowMarksExactlyTheAnswersBelowItWithTheRunnerUp) {
  mnist::test::TempDir dir;
  const fs::path model = trained_model(dir.path());
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 40);
  Args images;
  for (int64_t i = 0; i < test.size(); ++i) {
    const fs::path png = dir.path() / ("digit-" + std::to_string(i) + ".png");
    write_png(png, mnist_test_image(test, i));
    images.push_back(png);
  }
  // The probabilities, nothing marked: then a threshold halfway between the two middle ones.
  const auto plain = run_predict(Args{"--model", model, "--json", "--uncertain-below", "0"} + images);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::vector<double> probabilities;
  const json plain_report = json::parse(plain.out);
  for (const auto& entry : plain_report["images"]) {
    EXPECT_FALSE(entry["uncertain"].get<bool>());
    probabilities.push_back(entry["probability"].get<double>());
  }
  ASSERT_EQ(probabilities.size(), static_cast<size_t>(test.size()));
  std::vector<double> sorted = probabilities;
  std::sort(sorted.begin(), sorted.end());
  const size_t below = sorted.size() / 2;
  ASSERT_LT(sorted[below - 1], sorted[below]) << "the trained model gave equal middle probabilities";
  const double threshold = (sorted[below - 1] + sorted[below]) / 2;
  char threshold_text[32];
  std::snprintf(threshold_text, sizeof threshold_text, "%.17g", threshold);

  const auto marked = run_predict(Args{"--model", model, "--json", "--uncertain-below", threshold_text} + images);
  ASSERT_EQ(marked.exit_code, 0) << marked.err;
  size_t uncertain = 0;
  const json report = json::parse(marked.out);
  for (const auto& entry : report["images"]) {
    const bool expected = entry["probability"].get<double>() < threshold;
    const auto digit = entry["digit"].get<int64_t>();
    const auto runner_up = entry["top"][1]["digit"].get<int64_t>();
    EXPECT_EQ(entry["uncertain"].get<bool>(), expected) << entry.dump();
    EXPECT_EQ(entry["runner_up"].get<int64_t>(), runner_up);
    EXPECT_EQ(entry["answer"], expected ? std::to_string(digit) + " or " + std::to_string(runner_up) + "?"
                                        : std::to_string(digit));
    uncertain += expected ? 1 : 0;
  }
  EXPECT_EQ(uncertain, below);

  const auto text = run_predict(Args{"--model", model, "--uncertain-below", threshold_text} + images);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  size_t uncertain_lines = 0;
  const std::regex line_pattern(R"(^(.*digit-(\d+)\.png): (\d)( or (\d)\?)? \(p=([0-9.]+)(, uncertain)?\)  top 3: (\d) [0-9.]+, (\d) .*$)");
  for (const auto& line : lines_of(text.out)) {
    std::smatch match;
    if (!std::regex_match(line, match, line_pattern)) continue;
    const auto index = static_cast<size_t>(std::stoul(match[2]));
    const bool expected = probabilities.at(index) < threshold;
    EXPECT_EQ(match[4].matched, expected) << line;
    EXPECT_EQ(match[7].matched, expected) << line;
    if (expected) {
      EXPECT_EQ(match[5].str(), match[9].str()) << "the runner-up is the second of the top 3: " << line;
    }
    uncertain_lines += match[7].matched ? 1 : 0;
  }
  EXPECT_EQ(uncertain_lines, below) << text.out;
  EXPECT_NE(text.out.find("uncertain_below=" + std::string(threshold_text).substr(0, 4)), std::string::npos) << text.out;
}

TEST(PredictCli, UncertainBelowMustBeAProbability) {
  for (const char* value : {"1.5", "-0.1"}) {
    expect_predict_error(run_predict({"--uncertain-below", value, "a.png"}), 2,
                          std::string("--uncertain-below ") + value + ": must be a probability from 0 to 1");
  }
  expect_predict_error(run_predict({"--uncertain-below", "abc", "a.png"}), 2, "--uncertain-below abc: not a number");
}
