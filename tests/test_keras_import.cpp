// Keras models in: .h5 files laid out exactly as tf.keras 2 and Keras 3 write them (written here by
// h5py, tests/python/write_keras_models.py, which also gives numpy's forward pass as the
// reference) load as the project's model and give numpy's probabilities, through the library,
// mnist-evaluate and mnist-predict; mnist-convert and mnist-train --init-from round-trip; every
// defect is one line naming the file and the layer, with the right exit code and no HDF5 stack.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "cli_expectations.h"
#include "core/errors.h"
#include "data/mnist_dataset.h"
#include "export/keras_h5.h"
#include "export/keras_h5_isolated.h"
#include "export/model_file.h"
#include "export/torchscript.h"
#include "image/image_preprocess.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::run_command;
using mnist::test::run_tool;
using mnist::test::TempDir;

namespace {

const std::string kWriter = std::string(MNIST_TEST_SCRIPTS_DIR) + "/write_keras_models.py";
const std::string kData = MNIST_TEST_DATA_DIR;
constexpr int64_t kCount = 300;  // test images compared

struct KerasFile {
  fs::path model;
  fs::path probabilities;  // float32 [kCount, 10], numpy's forward pass
  fs::path summary;        // numpy's accuracy and loss on the kCount images
};

KerasFile write_keras(const fs::path& dir, const std::string& layout, const std::string& hidden,
                      const std::vector<std::string>& extra = {}) {
  const std::string stem = layout + "-" + std::regex_replace(hidden, std::regex(","), "-");
  KerasFile file{dir / (stem + ".h5"), dir / (stem + ".f32"), dir / (stem + ".json")};
  std::vector<std::string> argv = {MNIST_TEST_PYTHON, kWriter, "--layout", layout, "--hidden", hidden,
                                   "--out", file.model.string(), "--data-dir", kData,
                                   "--count", std::to_string(kCount), "--probs", file.probabilities.string(),
                                   "--summary", file.summary.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto run = run_command(argv);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  return file;
}

torch::Tensor read_probabilities(const fs::path& path) {
  const std::string bytes = mnist::test::read_file(path);
  EXPECT_EQ(bytes.size(), static_cast<size_t>(kCount * 10 * 4));
  return torch::from_blob(const_cast<char*>(bytes.data()), {kCount, 10}, torch::kFloat32).clone();
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(mnist::test::read_file(path)); }

torch::Tensor test_images() {
  return mnist::load_mnist(kData, mnist::MnistSplit::kTest, kCount).images.reshape({kCount, 1, 28, 28});
}

torch::Tensor probabilities_of(torch::jit::Module& module, const std::string& label) {
  torch::NoGradGuard no_grad;
  return mnist::forward_probabilities(module, label, test_images());
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Loading: both layouts and the save_weights file, two shapes, equal to numpy's forward pass.
// ---------------------------------------------------------------------------------------------

struct LayoutCase {
  std::string layout;
  std::string hidden;
  std::vector<std::string> extra;
  mnist::KerasInputRange range = mnist::KerasInputRange::k255;
};

class KerasLayouts : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(KerasLayouts, LoadsWithNumpysProbabilities) {
  const LayoutCase& c = GetParam();
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), c.layout, c.hidden, c.extra);
  auto loaded = mnist::load_model_file(file.model, c.range);
  const auto ours = probabilities_of(loaded.module, file.model.string());
  const auto numpy = read_probabilities(file.probabilities);
  EXPECT_LT(max_difference(ours, numpy), 1e-5);
  // The answers are not trivial: a working classifier, so a wrong input scale would show.
  EXPECT_GT(read_json(file.summary)["accuracy"].get<double>(), 0.5);
  const auto card = nlohmann::json::parse(loaded.card_json);
  EXPECT_EQ(card["architecture"], "784-" + std::regex_replace(c.hidden, std::regex(","), "-") + "-10");
  EXPECT_EQ(card["converted_from"]["path"], file.model.string());
}

INSTANTIATE_TEST_SUITE_P(
    Keras, KerasLayouts,
    ::testing::Values(LayoutCase{"tf2", "300,100", {}}, LayoutCase{"tf2", "512,256,128", {}},
                      LayoutCase{"keras3", "300,100", {}}, LayoutCase{"keras3", "512,256,128", {}},
                      LayoutCase{"tf2-early", "300,100", {}}, LayoutCase{"weights", "300,100", {}},
                      LayoutCase{"tf2", "64", {"--split-layer-names"}},
                      LayoutCase{"keras3", "64", {"--split-layer-names"}},
                      LayoutCase{"tf2", "100,50", {"--activation", "tanh"}},
                      LayoutCase{"keras3", "100", {"--activation", "sigmoid"}},
                      LayoutCase{"tf2", "128", {"--input-range", "1"}, mnist::KerasInputRange::k1}),
    [](const auto& info) {
      std::string name = info.param.layout + "_" + info.param.hidden;
      for (const auto& e : info.param.extra) name += "_" + e;
      return std::regex_replace(name, std::regex("[^A-Za-z0-9]"), "_");
    });

TEST(KerasImport, WrongInputRangeChangesTheAnswers) {
  // The test above passes only because the scale is right: the same file read as [0, 1] differs.
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), "tf2", "300,100");
  auto loaded = mnist::load_model_file(file.model, mnist::KerasInputRange::k1);
  EXPECT_GT(max_difference(probabilities_of(loaded.module, "x"), read_probabilities(file.probabilities)), 0.1);
}

// ---------------------------------------------------------------------------------------------
// The tools: mnist-evaluate, mnist-predict, mnist-convert on Keras files.
// ---------------------------------------------------------------------------------------------

TEST(KerasTools, EvaluateGivesNumpysAccuracyAndLoss) {
  TempDir dir;
  for (const auto& [layout, hidden] : {std::pair{"tf2", "300,100"}, std::pair{"keras3", "512,256,128"}}) {
    const KerasFile file = write_keras(dir.path(), layout, hidden);
    const fs::path out = dir.path() / (std::string(layout) + "-confusion.png");
    const auto run = run_tool({"mnist-evaluate", "--model", file.model.string(), "--data-dir", kData, "--limit",
                               std::to_string(kCount), "--out", out.string()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("keras_input_range=255"), std::string::npos);
    const auto metrics = read_json(out.parent_path() / "metrics.json");
    const auto numpy = read_json(file.summary);
    EXPECT_EQ(metrics["count"], kCount);
    EXPECT_DOUBLE_EQ(metrics["accuracy"].get<double>(), numpy["accuracy"].get<double>()) << layout;
    EXPECT_NEAR(metrics["loss"].get<double>(), numpy["loss"].get<double>(), 1e-5) << layout;
    EXPECT_NE(metrics["model"]["name"].get<std::string>().find("784-"), std::string::npos);
  }
}

TEST(KerasTools, PredictGivesNumpysDigitsAndProbabilities) {
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), "keras3", "300,100");
  const auto numpy = read_probabilities(file.probabilities);
  const auto images = test_images();
  std::vector<std::string> argv = {"mnist-predict", "--json", "--model", file.model.string()};
  constexpr int kImages = 8;
  for (int i = 0; i < kImages; ++i) {
    const fs::path png = dir.path() / ("digit-" + std::to_string(i) + ".png");
    const auto pixels = images[i].reshape({-1}).contiguous();
    mnist::write_digit_png(png, std::vector<float>(pixels.data_ptr<float>(), pixels.data_ptr<float>() + 784));
    argv.push_back(png.string());
  }
  const auto run = run_tool(argv);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto answer = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  ASSERT_EQ(answer["images"].size(), static_cast<size_t>(kImages)) << run.out;
  for (int i = 0; i < kImages; ++i) {
    const auto& image = answer["images"][i];
    EXPECT_EQ(image["digit"].get<int64_t>(), numpy[i].argmax().item<int64_t>()) << i;
    // PNG pixels are bytes, as MNIST's are, so the model saw the same image.
    EXPECT_NEAR(image["probability"].get<double>(), numpy[i].max().item<double>(), 1e-5) << i;
  }
}

TEST(KerasTools, ConvertToTorchScriptKeepsProbabilitiesAndSaysWhereItCameFrom) {
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), "tf2", "512,256,128");
  const fs::path pt = dir.path() / "converted.pt";
  const auto run = run_tool({"mnist-convert", file.model.string(), pt.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The converted file is plain TorchScript: LibTorch's own loader, the [0, 1] contract.
  auto module = torch::jit::load(pt.string());
  EXPECT_LT(max_difference(probabilities_of(module, "converted"), read_probabilities(file.probabilities)), 1e-5);
  const auto card = nlohmann::json::parse(mnist::read_model_card(pt));
  EXPECT_EQ(card["converted_from"]["path"], file.model.string());
  EXPECT_EQ(card["converted_from"]["keras_version"], "2.15.0");
  EXPECT_EQ(card["architecture"], "784-512-256-128-10");
}

// A file on which HDF5 itself crashes (a segmentation fault copying a variable-length string
// whose heap entry claims 10^17 bytes; found by tests/fuzz) is one line and exit 1: the file is
// read in a child process.
TEST(KerasTools, AFileThatCrashesHdf5IsOneLineNotACrash) {
  const std::string file =
      std::string(MNIST_TEST_SCRIPTS_DIR) + "/../fuzz/regressions/keras_h5/hdf5-crashes-copying-a-variable-length-string";
  TempDir dir;
  const auto run = run_tool({"mnist-convert", file, (dir.path() / "out.pt").string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "mnist-convert: " + file + ": HDF5 crashed reading it: a damaged or hostile .h5 file\n");
  EXPECT_FALSE(fs::exists(dir.path() / "out.pt"));
}

// HDF5 loops forever on some damaged files (tests/fuzz found two): the read fails at its deadline
// with one line, and the loop dies with the child that ran it.
TEST(KerasTools, AFileHdf5LoopsOnFailsAtTheDeadline) {
  const std::string name = "hdf5-loops-in-its-global-heap";
  const fs::path file = fs::path(MNIST_TEST_SCRIPTS_DIR) / "../fuzz/regressions/keras_h5" / name;
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty()) << file;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::load_keras_model_image(bytes, name, std::chrono::seconds(1)); }),
            name + ": HDF5 did not finish reading it in 1 s: a damaged or hostile .h5 file");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// HDF5 trusting a damaged length allocates without end (tests/fuzz found files that took 1.5 GB
// in 5 s): the child that reads may map 2 GB more than it inherited, and no more.
namespace {

uint64_t data_limit_bytes() {
  rlimit limit{};
  ::getrlimit(RLIMIT_DATA, &limit);
  return limit.rlim_cur;
}

uint64_t mapped_data_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmData:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

}  // namespace

TEST(KerasTools, TheReadingProcessMayGrowByTwoGigabytes) {
  const uint64_t parent_data = mapped_data_bytes();
  const uint64_t parent_limit = data_limit_bytes();
  ASSERT_GT(parent_data, 0u);
  const mnist::KerasModel answer = mnist::keras_h5_detail::read_in_child_process("limits.h5", std::chrono::seconds(5), [] {
    mnist::KerasModel model;
    model.keras_version = std::to_string(data_limit_bytes());
    return model;
  });
  const double growth = static_cast<double>(std::stoull(answer.keras_version)) - static_cast<double>(parent_data);
  EXPECT_NEAR(growth, 2.0 * (1 << 30), 64.0 * (1 << 20));
  EXPECT_EQ(data_limit_bytes(), parent_limit) << "the limit is the child's alone";
}

// ---------------------------------------------------------------------------------------------
// Round trips through mnist-train's own files.
// ---------------------------------------------------------------------------------------------

class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const auto run = run_tool({"mnist-train", "--data-dir", kData, "--out-dir", (dir_->path() / "models").string(),
                               "--hidden", "64,32", "--epochs", "1", "--batch-size", "64", "--train-limit",
                               "3000", "--test-limit", std::to_string(kCount), "--seed", "3"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path models() { return dir_->path() / "models"; }
  static TempDir* dir_;
};
TempDir* TrainedModel::dir_ = nullptr;

TEST_F(TrainedModel, H5ConvertedToTorchScriptGivesTheOriginalsOutputs) {
  TempDir dir;
  const fs::path pt = dir.path() / "from-h5.pt";
  const auto run = run_tool({"mnist-convert", (models() / "image_recognition.h5").string(), pt.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto original = mnist::load_torchscript(models() / "mnist_mlp.pt");
  auto converted = mnist::load_torchscript(pt);
  EXPECT_LT(max_difference(probabilities_of(original, "original"), probabilities_of(converted, "converted")), 1e-5);
}

TEST_F(TrainedModel, TorchScriptConvertedToH5MatchesTheTrainersH5) {
  TempDir dir;
  const fs::path h5 = dir.path() / "from-pt.h5";
  const auto run = run_tool({"mnist-convert", (models() / "mnist_mlp.pt").string(), h5.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto ours = mnist::read_keras_h5(h5, mnist::KerasH5Kind::kFullModel);
  const auto trainers = mnist::read_keras_h5(models() / "image_recognition.h5", mnist::KerasH5Kind::kFullModel);
  ASSERT_EQ(ours.size(), trainers.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].activation, trainers[i].activation);
    ASSERT_EQ(ours[i].kernel.size(), trainers[i].kernel.size());
    for (size_t j = 0; j < ours[i].kernel.size(); ++j) {
      ASSERT_NEAR(ours[i].kernel[j], trainers[i].kernel[j], 1e-6 + 1e-6 * std::abs(trainers[i].kernel[j])) << i;
    }
  }
}

// mnist-train needs --epochs >= 1, so "0 extra epochs" is the accuracy it measures on the weights it
// started from, before its first step; it must equal mnist-evaluate's on the source model.
TEST_F(TrainedModel, InitFromAConvertedFileStartsAtTheSameTestAccuracy) {
  TempDir dir;
  const fs::path pt = dir.path() / "from-h5.pt";
  ASSERT_EQ(run_tool({"mnist-convert", (models() / "image_recognition.h5").string(), pt.string()}).exit_code, 0);
  const auto evaluated = run_tool({"mnist-evaluate", "--model", (models() / "mnist_mlp.pt").string(), "--data-dir",
                                   kData, "--limit", std::to_string(kCount), "--out",
                                   (dir.path() / "c.png").string()});
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const double accuracy = read_json(dir.path() / "metrics.json")["accuracy"].get<double>();
  for (const fs::path& source : {pt, models() / "image_recognition.h5"}) {
    const auto run = run_tool({"mnist-train", "--data-dir", kData, "--out-dir", (dir.path() / "tuned").string(),
                               "--hidden", "64,32", "--epochs", "1", "--lr", "1e-6", "--train-limit", "500",
                               "--test-limit", std::to_string(kCount), "--init-from", source.string()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(run.out, match, std::regex("before training \\(--init-from\\): test accuracy ([0-9.]+)")))
        << run.out;
    // Printed with 4 decimals; one image of kCount is 0.0033.
    EXPECT_NEAR(std::stod(match[1]), accuracy, 6e-5) << source;
    // The tiny rate keeps it there after the epoch too: training really started from these weights.
    ASSERT_TRUE(std::regex_search(run.out, match, std::regex("test accuracy ([0-9.]+), ")));
    EXPECT_NEAR(std::stod(match[1]), accuracy, 0.02) << run.out;
  }
}

TEST_F(TrainedModel, InitFromAnotherArchitectureNamesBothShapes) {
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), "keras3", "512,256,128");
  const auto run = run_tool({"mnist-train", "--data-dir", kData, "--out-dir", (dir.path() / "tuned").string(),
                             "--epochs", "1", "--train-limit", "100", "--test-limit", "10", "--init-from",
                             file.model.string()});
  mnist::test::expect_usage_error(run, "mnist-train", "784-512-256-128-10 does not match the model to train, 784-300-100-10");
}

// ---------------------------------------------------------------------------------------------
// Defects: one line naming the file and the layer, exit 1, in every tool; no HDF5 error stack.
// ---------------------------------------------------------------------------------------------

struct Defect {
  std::string name;
  std::string layout;
  std::string phrase;  // what the line must say
};

class KerasDefects : public ::testing::TestWithParam<Defect> {};

TEST_P(KerasDefects, EveryToolSaysOneLineNamingFileAndLayer) {
  const Defect& d = GetParam();
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), d.layout, "300,100", {"--defect", d.name});
  const std::string model = file.model.string();
  const std::vector<std::vector<std::string>> tools = {
      {"mnist-evaluate", "--model", model, "--data-dir", kData, "--limit", "10", "--out",
       (dir.path() / "c.png").string()},
      {"mnist-predict", "--model", model, (dir.path() / "digit.png").string()},
      {"mnist-convert", model, (dir.path() / "out.pt").string()},
      {"mnist-train", "--data-dir", kData, "--out-dir", (dir.path() / "t").string(), "--epochs", "1",
       "--train-limit", "100", "--test-limit", "10", "--init-from", model}};
  for (const auto& argv : tools) {
    const auto run = run_tool(argv);
    mnist::test::expect_one_line_failure(run, argv[0], model, d.phrase);
  }
  // As a process: HDF5 prints its error stack to stderr unless told not to.
  const auto process = run_command({MNIST_CONVERT_BINARY, model, (dir.path() / "out.pt").string()});
  mnist::test::expect_one_line_failure(process, "mnist-convert", model, d.phrase);
  EXPECT_EQ(process.err.find("HDF5-DIAG"), std::string::npos) << process.err;
}

INSTANTIATE_TEST_SUITE_P(
    Keras, KerasDefects,
    ::testing::Values(
        Defect{"conv2d", "tf2", "layer conv2d (Conv2D) is not supported"},
        Defect{"functional", "tf2", "a functional model (class_name \"Functional\"), not Sequential"},
        Defect{"missing-weight", "tf2", "/model_weights/dense_1/dense_1/bias:0: missing"},
        Defect{"missing-weight", "keras3", "/model_weights/dense_1/sequential/dense_1/bias: missing"},
        Defect{"missing-layer-weights", "tf2", "layer dense_2 (Dense): missing weights"},
        Defect{"extra-weight", "tf2", "layer dense (Dense): 3 weights in /model_weights/dense@weight_names, expected 2"},
        Defect{"no-chain", "tf2", "layer dense_1 (Dense): kernel shape (50, 100) does not chain: layer dense (Dense) gives 300 values"},
        Defect{"input-32", "tf2", "layer flatten_input (InputLayer): input shape (None, 32, 32) is not a 28x28 image or 784 pixels"},
        Defect{"activation-last", "keras3", "layer dense_2 (Dense): activation tanh on the last layer"},
        Defect{"not-keras", "tf2", "an HDF5 file but not a Keras model"}),
    [](const auto& info) {
      return std::regex_replace(info.param.name + "_" + info.param.layout, std::regex("[^A-Za-z0-9]"), "_");
    });

TEST(KerasDefects, TruncatedFileIsOneLine) {
  TempDir dir;
  const KerasFile file = write_keras(dir.path(), "keras3", "300,100");
  const std::string bytes = mnist::test::read_file(file.model);
  const fs::path truncated = dir.path() / "truncated.h5";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const auto process = run_command({MNIST_CONVERT_BINARY, truncated.string(), (dir.path() / "out.pt").string()});
  mnist::test::expect_one_line_failure(process, "mnist-convert", truncated.string(), "truncated or damaged");
  EXPECT_EQ(process.err.find("HDF5-DIAG"), std::string::npos) << process.err;
  const auto run = run_tool({"mnist-evaluate", "--model", truncated.string(), "--data-dir", kData, "--limit", "10",
                             "--out", (dir.path() / "c.png").string()});
  mnist::test::expect_one_line_failure(run, "mnist-evaluate", truncated.string(), "truncated or damaged");
}

TEST(KerasOptions, InputRangeIsCheckedAndNamed) {
  for (const char* tool : {"mnist-evaluate", "mnist-train"}) {
    mnist::test::expect_usage_error(run_tool({tool, "--keras-input-range", "100"}), tool,
                                    "--keras-input-range 100: must be 255");
  }
  mnist::test::expect_usage_error(run_tool({"mnist-predict", "--keras-input-range", "0.5", "a.png"}),
                                  "mnist-predict", "--keras-input-range 0.5: must be 255");
  mnist::test::expect_usage_error(run_tool({"mnist-convert", "--keras-input-range", "100", "a.h5", "b.pt"}),
                                  "mnist-convert", "--keras-input-range 100: must be 255");
  mnist::test::expect_usage_error(run_tool({"mnist-convert", "only-one.h5"}), "mnist-convert",
                                  "give the input and the output file");
  mnist::test::expect_usage_error(run_tool({"mnist-convert", "a.pt", "b.weights.h5"}), "mnist-convert",
                                  "b.weights.h5: Keras reads a name ending in .weights.h5 as another format");
}
