// Bad input as a user meets it, through the tools as their mains run them (in this process; as
// another user in a child process where a case needs that): every kind of broken
// MNIST directory through mnist-evaluate (both splits), every kind of broken model file through
// mnist-evaluate and mnist-predict, and the option matrix of all three tools (each numeric option
// given 0, -1, a fraction, NaN, a huge number and text; unknown options; options that contradict
// each other). A failure is one line naming the file with exit 1, or naming the option with exit 2
// and a hint to --help; never a trace or an abort. mnist-train's broken-data cases live in
// test_train_faults.cpp, with the same list of cases (cli_faults.h).
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cli_faults.h"
#include "export/keras_h5.h"
#include "export/keras_layers.h"
#include "export/torchscript.h"
#include "model/model.h"
#include "scripted_modules.h"
#include "synthetic_mnist.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::ChildResult;
using mnist::test::DataCase;
using mnist::test::operator+;
using Args = std::vector<std::string>;

namespace {

using mnist::test::kEvaluateBinary;
using mnist::test::kPredictBinary;
using mnist::test::kTrainBinary;

// A small untrained MLP, exported as mnist-train exports it: a valid model file.
fs::path exported_model(const fs::path& path) {
  torch::manual_seed(6);
  mnist::ModelSpec spec;
  spec.hidden = {16};
  mnist::export_torchscript(mnist::build_mlp(spec), path, R"({"name": "mnist_mlp"})");
  return path;
}

// 28x28 PGM files (binary P5), which mnist-predict reads like any image.
Args digit_files(const fs::path& dir, int count) {
  Args files;
  for (int i = 0; i < count; ++i) {
    std::string pixels(28 * 28, '\0');
    for (int row = 6; row < 22; ++row) pixels[static_cast<size_t>(row * 28 + 12 + i)] = '\xff';
    const fs::path file = dir / ("digit" + std::to_string(i) + ".pgm");
    mnist::test::write_bytes(file, "P5\n28 28\n255\n" + pixels);
    files.push_back(file.string());
  }
  return files;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Broken data through mnist-evaluate

namespace {

// The data cases through mnist-evaluate reading `split`; nothing may be written.
void expect_evaluate_refuses(const DataCase& data_case, const std::string& split) {
  mnist::test::TempDir dir;
  const fs::path data_dir = dir.path() / "data";
  mnist::test::link_real_mnist(MNIST_TEST_DATA_DIR, data_dir);
  const fs::path model = exported_model(dir.path() / "mnist_mlp.pt");
  data_case.damage(data_dir);
  const ChildResult result = mnist::test::run_data_case(
      data_case, {kEvaluateBinary, "--data-dir", data_dir.string(), "--split", split, "--model", model.string(),
                  "--out", (dir.path() / "out" / "confusion.png").string(), "--limit", "100", "--device", "cpu"});
  const fs::path subject = data_case.subject.empty() ? data_dir : data_dir / data_case.subject;
  mnist::test::expect_one_line_failure(result, "mnist-evaluate", subject.string(), data_case.problem);
  EXPECT_NE(result.err.find("Run scripts/setup.sh"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("accuracy"), std::string::npos) << "evaluated broken data";
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "confusion.png"));
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "metrics.json"));
}

class EvaluateBrokenTestSplit : public ::testing::TestWithParam<DataCase> {};
class EvaluateBrokenTrainSplit : public ::testing::TestWithParam<DataCase> {};

}  // namespace

TEST(EvaluateBrokenDataControl, TheUndamagedDirectoryIsEvaluatedInBothSplits) {
  mnist::test::TempDir dir;
  mnist::test::link_real_mnist(MNIST_TEST_DATA_DIR, dir.path() / "data");
  const fs::path model = exported_model(dir.path() / "mnist_mlp.pt");
  for (const std::string split : {"test", "train"}) {
    SCOPED_TRACE(split);
    const ChildResult result = mnist::test::run_tool(
        {kEvaluateBinary, "--data-dir", (dir.path() / "data").string(), "--split", split, "--model",
         model.string(), "--out", (dir.path() / split / "confusion.png").string(), "--limit", "100",
         "--device", "cpu"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("on the first 100 of the MNIST " + split + " set: 100 images"), std::string::npos)
        << result.out;
  }
}

TEST_P(EvaluateBrokenTestSplit, FailsWithOneLine) { expect_evaluate_refuses(GetParam(), "test"); }
TEST_P(EvaluateBrokenTrainSplit, FailsWithOneLine) { expect_evaluate_refuses(GetParam(), "train"); }

INSTANTIATE_TEST_SUITE_P(EveryKind, EvaluateBrokenTestSplit,
                         ::testing::ValuesIn(mnist::test::broken_data_cases(mnist::test::kTestPair,
                                                                            mnist::test::kTestPair)),
                         mnist::test::data_case_name);
INSTANTIATE_TEST_SUITE_P(EveryKind, EvaluateBrokenTrainSplit,
                         ::testing::ValuesIn(mnist::test::broken_data_cases(mnist::test::kTrainPair,
                                                                            mnist::test::kTrainPair)),
                         mnist::test::data_case_name);

// ---------------------------------------------------------------------------------------------
// Broken models through mnist-evaluate and mnist-predict

namespace {

// Both tools run the model on kBatch images, so the messages that quote shapes are the same.
constexpr int kBatch = 3;

struct ModelCase {
  std::string name;
  std::function<fs::path(const fs::path& dir)> make;  // writes the model file into dir
  std::string problem;
};

std::vector<ModelCase> model_cases() {
  const auto bytes = [](const std::string& name, const std::function<std::string(const fs::path&)>& content) {
    return [name, content](const fs::path& dir) {
      mnist::test::write_bytes(dir / name, content(dir));
      return dir / name;
    };
  };
  const auto forward = [](const std::string& body) {
    return [body](const fs::path& dir) {
      return mnist::test::save_scripted_module(dir / "scripted.pt", "def forward(self, x: Tensor):\n" + body);
    };
  };
  return {
      {"Missing", [](const fs::path& dir) { return dir / "nowhere.pt"; },
       "model file missing. Train one with mnist-train."},
      {"Directory",
       [](const fs::path& dir) {
         fs::create_directory(dir / "folder.pt");
         return dir / "folder.pt";
       },
       "is a directory, not a model file"},
      {"Empty", bytes("empty.pt", [](const fs::path&) { return std::string(); }),
       "empty file (0 bytes), not a TorchScript model. Train one with mnist-train."},
      {"TruncatedHalf",
       bytes("half.pt",
             [](const fs::path& dir) {
               const std::string whole = mnist::test::read_file(exported_model(dir / "whole.pt"));
               return whole.substr(0, whole.size() / 2);
             }),
       "not a readable TorchScript model (PytorchStreamReader failed reading zip archive"},
      {"RandomBytes",
       bytes("random.pt",
             [](const fs::path&) {
               std::mt19937 generator(6);
               std::string random(4096, '\0');
               for (auto& byte : random) byte = static_cast<char>(generator() & 0xff);
               return random;
             }),
       "not a readable TorchScript model (TorchScript files are zip archives and this is not one)"},
      // A whole Keras .h5 is a model the tools take (test_keras_import); half of one is not.
      {"KerasH5Truncated",
       [](const fs::path& dir) {
         torch::manual_seed(6);
         mnist::ModelSpec spec;
         spec.hidden = {16};
         const fs::path whole = dir / "whole.h5";
         mnist::write_keras_h5(whole, mnist::to_keras_layers(mnist::build_mlp(spec)),
                               mnist::KerasH5Kind::kFullModel);
         const std::string bytes = mnist::test::read_file(whole);
         mnist::test::write_bytes(dir / "half.h5", bytes.substr(0, bytes.size() / 2));
         return dir / "half.h5";
       },
       "an HDF5 file that cannot be opened: truncated or damaged"},
      {"Checkpoint",
       [](const fs::path& dir) {
         mnist::ModelSpec spec;
         spec.hidden = {16};
         torch::save(mnist::build_mlp(spec), (dir / "checkpoint.pt").string());
         return dir / "checkpoint.pt";
       },
       "no forward method"},
      {"TorchSaveArchive",  // as Python's torch.save writes it; torch::pickle_save is its C++ twin
       [](const fs::path& dir) {
         const std::vector<char> bytes = torch::pickle_save(c10::IValue(torch::ones({3})));
         mnist::test::write_bytes(dir / "tensors.pt", std::string(bytes.begin(), bytes.end()));
         return dir / "tensors.pt";
       },
       "a torch.save archive (tensors or weights), not a TorchScript model"},
      {"SevenClasses", forward("    return torch.softmax(x.reshape(x.size(0), 784)[:, :7], 1)\n"),
       "model output has shape [3, 7] for a batch of 3 images, expected [N,10]"},
      {"OneDimensional", forward("    return torch.ones(x.size(0))\n"),
       "model output has shape [3] for a batch of 3 images, expected [N,10]"},
      {"Tuple", forward("    return torch.softmax(x.reshape(x.size(0), 784)[:, :10], 1), x\n"),
       "model output is a Tuple, expected a tensor [N,10]"},
      {"Logits", forward("    return x.reshape(x.size(0), 784)[:, :10] * 3.0 - 1.0\n"),
       "model output rows are not probabilities"},
      {"FailsOnTheInput", forward("    assert x.size(1) == 3, 'expects colour images'\n    return x\n"),
       "running the model on images [N,1,28,28] failed: "},
  };
}

std::string model_case_name(const ::testing::TestParamInfo<ModelCase>& info) { return info.param.name; }
void PrintTo(const ModelCase& model_case, std::ostream* out) { *out << model_case.name; }

class EvaluateBadModel : public ::testing::TestWithParam<ModelCase> {};
class PredictBadModel : public ::testing::TestWithParam<ModelCase> {};

}  // namespace

TEST(BadModelControl, AnExportedModelRunsInBothTools) {
  mnist::test::TempDir dir;
  const fs::path model = exported_model(dir.path() / "mnist_mlp.pt");
  const ChildResult evaluated = mnist::test::run_tool(
      {kEvaluateBinary, "--data-dir", MNIST_TEST_DATA_DIR, "--model", model.string(), "--out",
       (dir.path() / "out" / "confusion.png").string(), "--limit", std::to_string(kBatch), "--device", "cpu"});
  EXPECT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const ChildResult predicted = mnist::test::run_tool(
      Args{kPredictBinary, "--model", model.string()} + digit_files(dir.path(), kBatch));
  EXPECT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_NE(predicted.out.find("3 of 3 images classified"), std::string::npos) << predicted.out;
}

TEST_P(EvaluateBadModel, FailsWithOneLine) {
  mnist::test::TempDir dir;
  const fs::path model = GetParam().make(dir.path());
  const ChildResult result = mnist::test::run_tool(
      {kEvaluateBinary, "--data-dir", MNIST_TEST_DATA_DIR, "--model", model.string(), "--out",
       (dir.path() / "out" / "confusion.png").string(), "--limit", std::to_string(kBatch), "--device", "cpu"});
  mnist::test::expect_one_line_failure(result, "mnist-evaluate", model.string(), GetParam().problem);
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "confusion.png"));
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "metrics.json"));
}

TEST_P(PredictBadModel, FailsWithOneLine) {
  mnist::test::TempDir dir;
  const fs::path model = GetParam().make(dir.path());
  const ChildResult result = mnist::test::run_tool(
      Args{kPredictBinary, "--model", model.string()} + digit_files(dir.path(), kBatch));
  mnist::test::expect_one_line_failure(result, "mnist-predict", model.string(), GetParam().problem);
  EXPECT_EQ(result.out.find("images classified"), std::string::npos) << result.out;
}

INSTANTIATE_TEST_SUITE_P(EveryKind, EvaluateBadModel, ::testing::ValuesIn(model_cases()), model_case_name);
INSTANTIATE_TEST_SUITE_P(EveryKind, PredictBadModel, ::testing::ValuesIn(model_cases()), model_case_name);

// ---------------------------------------------------------------------------------------------
// Options

namespace {

enum class Program { kTrain, kEvaluate, kPredict };

const char* program_name(Program program) {
  switch (program) {
    case Program::kTrain: return "mnist-train";
    case Program::kEvaluate: return "mnist-evaluate";
    case Program::kPredict: return "mnist-predict";
  }
  return "";
}

struct OptionCase {
  std::string name;
  Program program;
  Args args;
  bool accepted = false;  // the run gets past its options to the missing model or data
  std::string phrase;     // in the usage error
  bool real_data = false;  // the contradiction shows only once the data is read
};

// Options a run accepts reach the first thing it reads, which is missing on purpose: exit 1
// with that file named, and nothing done.
Args base_args(Program program, const fs::path& dir, bool real_data) {
  const std::string missing_model = (dir / "nowhere.pt").string();
  switch (program) {
    case Program::kTrain:
      return {kTrainBinary, "--data-dir", real_data ? MNIST_TEST_DATA_DIR : (dir / "nodata").string(),
              "--out-dir", (dir / "out").string()};
    case Program::kEvaluate:
      return {kEvaluateBinary, "--data-dir", MNIST_TEST_DATA_DIR, "--model", missing_model, "--out",
              (dir / "out" / "confusion.png").string()};
    case Program::kPredict:
      return {kPredictBinary, "--model", missing_model, (dir / "digit.png").string()};
  }
  return {};
}

std::string camel_case(const std::string& option) {
  std::string name;
  bool upper = true;
  for (const char c : option) {
    if (c == '-') {
      upper = true;
      continue;
    }
    name.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return name;
}

std::vector<OptionCase> option_cases() {
  const bool cuda = torch::cuda::is_available();
  struct Numeric {
    Program program;
    std::string option;
    std::vector<std::string> valid;  // of the values below, those the option takes
  };
  const std::vector<Numeric> numeric = {
      {Program::kTrain, "epochs", {}},
      {Program::kTrain, "batch-size", {}},
      {Program::kTrain, "lr", {"2.5"}},
      {Program::kTrain, "dropout", {"0"}},
      {Program::kTrain, "val-split", {"0"}},
      {Program::kTrain, "seed", {"0"}},
      {Program::kTrain, "threads", {"0"}},
      {Program::kTrain, "train-limit", {"0"}},
      {Program::kTrain, "test-limit", {"0"}},
      {Program::kTrain, "hidden", {}},
      {Program::kTrain, "weight-decay", {"0"}},
      {Program::kTrain, "label-smoothing", {"0"}},
      {Program::kTrain, "augment", {"0"}},
      {Program::kTrain, "drawn-styles", {"0"}},
      {Program::kEvaluate, "misclassified", {"0"}},
      {Program::kEvaluate, "batch-size", {}},
      {Program::kEvaluate, "limit", {"0"}},
      {Program::kPredict, "uncertain-below", {"0"}},
  };
  const std::vector<std::pair<std::string, std::string>> values = {
      {"Zero", "0"}, {"Negative", "-1"}, {"Fraction", "2.5"},
      {"NaN", "nan"}, {"Huge", "99999999999999999999"}, {"Text", "abc"}};
  const std::string prefixes[] = {"Train", "Evaluate", "Predict"};

  std::vector<OptionCase> cases;
  for (const auto& [program, option, valid] : numeric) {
    for (const auto& [kind, value] : values) {
      const bool accepted = std::find(valid.begin(), valid.end(), value) != valid.end();
      cases.push_back({prefixes[static_cast<int>(program)] + camel_case(option) + kind, program,
                       {"--" + option, value}, accepted, "--" + option + " "});
    }
  }
  // The number in --device cuda:N; cuda:0 is taken where LibTorch sees a GPU.
  for (const Program program : {Program::kTrain, Program::kEvaluate, Program::kPredict}) {
    for (const auto& [kind, value] : values) {
      const std::string device = "cuda:" + value;
      cases.push_back({prefixes[static_cast<int>(program)] + "DeviceIndex" + kind, program,
                       {"--device", device}, cuda && value == "0", "--device " + device + ": "});
    }
  }

  const auto usage = [&](const std::string& name, Program program, const Args& args, const std::string& phrase) {
    cases.push_back({name, program, args, false, phrase});
  };
  for (const Program program : {Program::kTrain, Program::kEvaluate, Program::kPredict}) {
    const std::string prefix = prefixes[static_cast<int>(program)];
    // cxxopts' own messages, which quote the option in typographic quotes.
    usage(prefix + "UnknownOption", program, {"--no-such-option"}, "no-such-option");
    usage(prefix + "UnknownShortOption", program, {"-z"}, "z\u2019 does not exist");
    usage(prefix + "MissingValue", program, {"--device"}, "device\u2019 is missing an argument");
  }
  usage("TrainStrayArgument", Program::kTrain, {"stray"}, "unexpected argument 'stray'");
  usage("EvaluateStrayArgument", Program::kEvaluate, {"stray"}, "unexpected argument 'stray'");
  usage("EvaluateValueSwallowsOption", Program::kEvaluate, {"--limit", "--normalize"},
        "--limit --normalize: not an integer");

  // Contradictions: one option given two values, and a validation split of a 1-image set.
  usage("EvaluateLimitTwice", Program::kEvaluate, {"--limit", "10", "--limit", "20"},
        "--limit given twice, as '10' and '20'; give it once");
  usage("EvaluateSplitTwice", Program::kEvaluate, {"--split", "test", "--split", "train"},
        "--split given twice, as 'test' and 'train'");
  usage("PredictModelTwice", Program::kPredict, {"--model", "other.pt"}, "--model given twice, as '");
  usage("PredictSaveDirTwice", Program::kPredict, {"--save-preprocessed", "a", "--save-preprocessed", "b"},
        "--save-preprocessed given twice, as 'a' and 'b'");
  usage("PredictDeviceTwice", Program::kPredict, {"--device", "cpu", "--device", "auto"},
        "--device given twice, as 'cpu' and 'auto'");
  cases.push_back({"TrainValSplitOfOneImage", Program::kTrain, {"--train-limit", "1", "--val-split", "0.5"}, false,
                   "leaves no validation examples out of 1", /*real_data=*/true});
  return cases;
}

void PrintTo(const OptionCase& option_case, std::ostream* out) { *out << option_case.name; }

class CliOption : public ::testing::TestWithParam<OptionCase> {};

}  // namespace

TEST_P(CliOption, ExitsAsExpected) {
  const OptionCase& option_case = GetParam();
  mnist::test::TempDir dir;
  const ChildResult result =
      mnist::test::run_tool(base_args(option_case.program, dir.path(), option_case.real_data) + option_case.args);
  const std::string program = program_name(option_case.program);
  if (!option_case.accepted) {
    mnist::test::expect_usage_error(result, program, option_case.phrase);
    return;
  }
  const fs::path missing = option_case.program == Program::kTrain ? dir.path() / "nodata" : dir.path() / "nowhere.pt";
  mnist::test::expect_one_line_failure(result, program, missing.string(), "missing");
}

INSTANTIATE_TEST_SUITE_P(Matrix, CliOption, ::testing::ValuesIn(option_cases()),
                         [](const ::testing::TestParamInfo<OptionCase>& info) { return info.param.name; });
