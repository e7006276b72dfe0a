// mnist-train as a user runs it: exit codes, one-line errors, files written, resume.
// The runs use small subsets of the real MNIST files that scripts/setup.sh fetches.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_expectations.h"
#include "synthetic_mnist.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::ChildResult;
using mnist::test::read_file;

namespace {

ChildResult run_train(const std::string& arguments) {
  return mnist::test::run_shell(std::string(MNIST_TRAIN_BINARY) + " " + arguments);
}

using mnist::test::kDataDirOption;
const std::string kSmall = kDataDirOption + " --train-limit 600 --test-limit 200 --batch-size 32 --hidden 64,32";

void expect_train_error(const ChildResult& run, int exit_code, const std::string& phrase) {
  mnist::test::expect_one_line_error(run, "mnist-train", exit_code, phrase);
}

// Every parameter of two exported TorchScript models is bit-identical; `tensors` of them.
void expect_identical_weights(const fs::path& a_path, const fs::path& b_path, int tensors) {
  auto a = torch::jit::load(a_path.string());
  auto b = torch::jit::load(b_path.string());
  const auto pb = b.named_parameters();
  int compared = 0;
  for (const auto& item : a.named_parameters()) {
    for (const auto& other : pb) {
      if (other.name == item.name) {
        EXPECT_TRUE(torch::equal(item.value, other.value)) << item.name;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, tensors);
}

}  // namespace

TEST(TrainCli, DataIsPresent) {
  ASSERT_TRUE(fs::exists(fs::path(MNIST_TEST_DATA_DIR) / "train-images-idx3-ubyte"))
      << "MNIST is missing from " << MNIST_TEST_DATA_DIR << ": run scripts/setup.sh";
}

TEST(TrainCli, HelpListsEveryOptionWithItsDefault) {
  const auto run = run_train("--help");
  EXPECT_EQ(run.exit_code, 0);
  mnist::test::expect_help_defaults(
      run.out, {{"--recipe", "default"}, {"--init-from", ""}, {"--keras-input-range", "255"}, {"--data-dir", "data/mnist"}, {"--out-dir", "models"},
                {"--hidden", "300,100"}, {"--dropout", "0"}, {"--epochs", "50"}, {"--batch-size", "32"},
                {"--lr", "0.001"}, {"--lr-schedule", "cosine"}, {"--weight-decay", "0"},
                {"--label-smoothing", "0"}, {"--augment", "0.5"}, {"--drawn-styles", "0.4"}, {"--val-split", "0"}, {"--seed", "42"},
                {"--device", "auto"}, {"--threads", "0"}, {"--calibrate", "on"}, {"--resume", ""}, {"--train-limit", "0"},
                {"--test-limit", "0"}, {"--help", ""}});
  EXPECT_NE(mnist::test::option_help(run.out, "--recipe").find("original, default, best or fast"), std::string::npos);
}

TEST(TrainCli, BadOptionsExitWithUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--epochs 0", "--epochs 0"},
      {"--epochs=-3", "--epochs -3"},
      {"--epochs abc", "abc"},
      {"--batch-size 0", "--batch-size 0"},
      {"--lr 0", "--lr 0"},
      {"--lr nan", "--lr"},
      {"--lr=-1", "--lr -1"},
      {"--lr 1e400", "--lr"},
      {"--hidden 300,,100", "--hidden 300,,100"},
      {"--dropout 1", "--dropout 1"},
      {"--val-split 1.5", "--val-split 1.5"},
      {"--threads=-1", "--threads -1"},
      {"--device tpu", "--device tpu"},
      {"--lr-schedule linear", "--lr-schedule linear"},
      {"--recipe fastest", "--recipe fastest: must be original, default, best or fast"},
      {"--recipe ''", "--recipe : must be"},
      {"--weight-decay=-0.1", "--weight-decay -0.1: must be from 0 (none) to 1"},
      {"--weight-decay nan", "--weight-decay"},
      {"--weight-decay 2", "--weight-decay 2"},
      {"--weight-decay 1e400", "--weight-decay"},
      {"--weight-decay much", "--weight-decay much"},
      {"--label-smoothing=-0.1", "--label-smoothing -0.1: must be at least 0 and below 1"},
      {"--label-smoothing 1", "--label-smoothing 1"},
      {"--label-smoothing nan", "--label-smoothing"},
      {"--label-smoothing some", "--label-smoothing some"},
      {"--augment=-1", "--augment -1: must be a strength from 0 (none) to 2"},
      {"--augment 3", "--augment 3"},
      {"--augment inf", "--augment"},
      {"--augment nan", "--augment"},
      {"--augment on", "--augment on"},
      {"--recipe best --augment 5", "--augment 5"},
      {"--drawn-styles=-0.1", "--drawn-styles -0.1: must be a fraction from 0 (none) to 1"},
      {"--drawn-styles 1.5", "--drawn-styles 1.5"},
      {"--drawn-styles nan", "--drawn-styles"},
      {"--drawn-styles some", "--drawn-styles some"},
      {"--no-such-option", "no-such-option"},
      {"stray-argument", "stray-argument"},
  };
  for (const auto& [arguments, phrase] : cases) {
    SCOPED_TRACE(arguments);
    expect_train_error(run_train(arguments), 2, phrase);
  }
}

TEST(TrainCli, MissingDataIsARuntimeErrorNamingThePath) {
  mnist::test::TempDir dir;
  const auto run = run_train("--data-dir " + (dir.path() / "nowhere").string() + " --out-dir " + (dir.path() / "out").string());
  expect_train_error(run, 1, (dir.path() / "nowhere").string());
  EXPECT_NE(run.err.find("scripts/setup.sh"), std::string::npos) << run.err;
}

TEST(TrainCli, TrainsOnAnyValidIdxSetNotOnlyMnistsSizes) {
  mnist::test::TempDir dir;
  const fs::path data = dir.path() / "digits";
  fs::create_directories(data);
  for (const char* split : {"train", "t10k"}) {
    const uint32_t count = split == std::string("train") ? 120 : 40;
    mnist::test::write_bytes(data / (std::string(split) + "-images-idx3-ubyte"), mnist::test::synthetic_images(count).bytes());
    mnist::test::write_bytes(data / (std::string(split) + "-labels-idx1-ubyte"), mnist::test::synthetic_labels(count).bytes());
  }
  const auto run = run_train("--data-dir " + data.string() + " --epochs 1 --batch-size 16 --hidden 16 --out-dir " +
                             (dir.path() / "out").string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("epoch 1/1"), std::string::npos) << run.out;
  EXPECT_TRUE(fs::exists(dir.path() / "out" / "mnist_mlp.pt"));
}

TEST(TrainCli, UnwritableOutputIsReportedBeforeTraining) {
  mnist::test::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  const auto run = run_train(kSmall + " --epochs 1 --out-dir " + (dir.path() / "file" / "models").string());
  expect_train_error(run, 1, "cannot create output directory");
  EXPECT_EQ(run.out.find("epoch 1/1"), std::string::npos) << "trained before checking the output";
}

TEST(TrainCli, ShortRunWritesEveryFileAndPrintsASummary) {
  mnist::test::TempDir dir;
  const auto run = run_train(kSmall + " --epochs 2 --val-split 0.1 --out-dir " + dir.path().string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("epochs=2\n"), std::string::npos);
  EXPECT_NE(run.out.find("blas="), std::string::npos);
  EXPECT_NE(run.out.find("samples/s"), std::string::npos);
  for (const char* name : {"mnist_mlp.pt", "image_recognition.h5", "weights.h5", "image_recognition.keras",
                           "mnist_mlp.onnx", "train_log.csv", "training_curves.png", "checkpoint.pt"}) {
    EXPECT_TRUE(fs::exists(dir.path() / name)) << name;
    EXPECT_NE(run.out.find("wrote " + (dir.path() / name).string()), std::string::npos) << name;
  }
  EXPECT_EQ(mnist::test::count_files(dir.path()), 8) << "temporary files left behind";
  const std::string log = read_file(dir.path() / "train_log.csv");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 3) << log;
  EXPECT_EQ(log.rfind("epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds\n1,", 0), 0u) << log;
  EXPECT_EQ(log.find(",,"), std::string::npos) << "validation columns empty despite --val-split";
}

namespace {

// `common` trained for 3 epochs in one run into `whole`, and into `parts` as 1 epoch and then
// --resume up to 3; returns the resumed run.
ChildResult train_whole_and_in_parts(const std::string& common, const fs::path& whole, const fs::path& parts) {
  EXPECT_EQ(run_train(common + " --epochs 3 --out-dir " + whole.string()).exit_code, 0);
  EXPECT_EQ(run_train(common + " --epochs 1 --out-dir " + parts.string()).exit_code, 0);
  return run_train(common + " --epochs 3 --resume --out-dir " + parts.string());
}

}  // namespace

TEST(TrainCli, ResumeEndsWithTheSameModelAsAnUninterruptedRun) {
  mnist::test::TempDir dir;
  // A constant schedule lets a finished 1-epoch run be extended; a cosine one spans --epochs.
  const std::string common = kSmall + " --dropout 0.1 --seed 3 --threads 1 --lr-schedule constant";
  const fs::path whole = dir.path() / "whole";
  const fs::path parts = dir.path() / "parts";
  const auto resumed = train_whole_and_in_parts(common, whole, parts);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.out.find("epoch 1/3"), std::string::npos) << "epoch 1 was trained again";
  EXPECT_NE(resumed.out.find("epoch 2/3"), std::string::npos);

  expect_identical_weights(whole / "mnist_mlp.pt", parts / "mnist_mlp.pt", 6);
  EXPECT_EQ(mnist::test::log_figures(whole / "train_log.csv"), mnist::test::log_figures(parts / "train_log.csv"));

  std::string other_batch = common;  // an option may be given only once: change it in place
  other_batch.replace(other_batch.find("--batch-size 32"), 15, "--batch-size 64");
  const auto mismatched = run_train(other_batch + " --epochs 4 --resume --out-dir " + parts.string());
  expect_train_error(mismatched, 2, "batch_size");
  const auto other_schedule = run_train(kSmall + " --dropout 0.1 --seed 3 --epochs 4 --resume --out-dir " + parts.string());
  expect_train_error(other_schedule, 2, "lr_schedule");
}

namespace {

// The banner's value of `key` ("key=value" lines), or "(absent)".
std::string banner_value(const std::string& stdout_text, const std::string& key) {
  const std::string out = "\n" + stdout_text;
  const size_t at = out.find("\n" + key + "=");
  if (at == std::string::npos) return "(absent)";
  const size_t begin = at + key.size() + 2;
  return out.substr(begin, out.find('\n', begin) - begin);
}

std::string model_card(const fs::path& model) {
  torch::jit::ExtraFilesMap extra{{"model_card.json", ""}};
  torch::jit::load(model.string(), torch::kCPU, extra);
  return extra["model_card.json"];
}

const std::string kTiny = kDataDirOption + " --train-limit 300 --test-limit 100 --hidden 32";

}  // namespace

TEST(TrainCliRecipes, EachRecipeSetsItsDefaultsInTheBanner) {
  struct Expected {
    std::string recipe, epochs, batch_size, lr, lr_schedule, weight_decay, label_smoothing, augment, drawn_styles;
  };
  const std::vector<Expected> recipes = {
      {"original", "50", "32", "0.001", "constant", "0", "0", "0 (none)", "0"},
      {"default", "50", "32", "0.001", "cosine", "0", "0",
       "0.5 (shift 1 px, rotation 5 deg, scale 0.95-1.05, elastic alpha 17 sigma 4)", "0.4"},
      {"fast", "6", "256", "0.003", "cosine", "0", "0", "0 (none)", "0"},
      {"best", "150", "128", "0.002", "cosine", "0.01", "0.05",
       "1 (shift 2 px, rotation 10 deg, scale 0.9-1.1, elastic alpha 34 sigma 4)", "0"},
  };
  for (const auto& e : recipes) {
    SCOPED_TRACE(e.recipe);
    // One epoch on a tiny subset: everything else as the recipe says.
    mnist::test::TempDir dir;
    const auto run = run_train(kTiny + " --recipe " + e.recipe + " --epochs 1 --out-dir " + dir.path().string());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(banner_value(run.out, "recipe"), e.recipe);
    EXPECT_EQ(banner_value(run.out, "epochs"), "1") << "the command line overrides the recipe";
    EXPECT_EQ(banner_value(run.out, "batch_size"), e.batch_size);
    EXPECT_EQ(banner_value(run.out, "lr"), e.lr);
    EXPECT_EQ(banner_value(run.out, "lr_schedule"), e.lr_schedule);
    EXPECT_EQ(banner_value(run.out, "weight_decay"), e.weight_decay);
    EXPECT_EQ(banner_value(run.out, "label_smoothing"), e.label_smoothing);
    EXPECT_EQ(banner_value(run.out, "augment"), e.augment);
    EXPECT_EQ(banner_value(run.out, "drawn_styles"), e.drawn_styles);
    const std::string card = model_card(dir.path() / "mnist_mlp.pt");
    EXPECT_NE(card.find("\"recipe\": \"" + e.recipe + "\""), std::string::npos) << card;
    // The recipes that change the training images prepare them on the background thread.
    EXPECT_EQ(run.out.find("augmentation: ") != std::string::npos, e.recipe == "best" || e.recipe == "default")
        << run.out;
  }
}

TEST(TrainCliRecipes, OptionsGivenOverrideTheRecipeAndReachTheTrainer) {
  mnist::test::TempDir dir;
  const std::string best = kTiny + " --recipe best --epochs 2 --seed 5";
  const auto as_recipe = run_train(best + " --out-dir " + (dir.path() / "best").string());
  const auto overridden = run_train(best + " --augment 0.5 --weight-decay 0 --label-smoothing 0.1 --lr 0.001"
                                           " --batch-size 64 --threads 0 --out-dir " + (dir.path() / "overridden").string());
  ASSERT_EQ(as_recipe.exit_code, 0) << as_recipe.err;
  ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
  EXPECT_EQ(banner_value(as_recipe.out, "threads"), "1");
  EXPECT_EQ(banner_value(overridden.out, "recipe"), "best");
  EXPECT_EQ(banner_value(overridden.out, "augment"),
            "0.5 (shift 1 px, rotation 5 deg, scale 0.95-1.05, elastic alpha 17 sigma 4)");
  EXPECT_EQ(banner_value(overridden.out, "weight_decay"), "0");
  EXPECT_EQ(banner_value(overridden.out, "label_smoothing"), "0.1");
  EXPECT_EQ(banner_value(overridden.out, "lr"), "0.001");
  EXPECT_EQ(banner_value(overridden.out, "batch_size"), "64");
  EXPECT_EQ(banner_value(overridden.out, "threads"), "0");
  EXPECT_EQ(banner_value(overridden.out, "lr_schedule"), "cosine") << "what was not given stays the recipe's";

  const std::string card = model_card(dir.path() / "overridden" / "mnist_mlp.pt");
  for (const char* text : {"\"label_smoothing\": 0.1", "\"weight_decay\": 0.0", "\"strength\": 0.5",
                           "\"elastic_alpha\": 17.0", "\"optimizer\": \"Adam\""}) {
    EXPECT_NE(card.find(text), std::string::npos) << text << " not in " << card;
  }
  EXPECT_NE(model_card(dir.path() / "best" / "mnist_mlp.pt").find("\"optimizer\": \"AdamW (decoupled weight decay)\""),
            std::string::npos);

  // Each of the options changes what is trained: the same run with one of them set otherwise
  // ends with another training loss.
  const auto first_loss = [](const fs::path& log) {
    const std::string text = read_file(log);
    const size_t row = text.find("\n1,") + 3;
    return text.substr(row, text.find(',', row) - row);
  };
  const std::string reference = first_loss(dir.path() / "best" / "train_log.csv");
  for (const char* option : {"--augment 0", "--weight-decay 0", "--label-smoothing 0"}) {
    SCOPED_TRACE(option);
    const fs::path out = dir.path() / "variant";
    const auto variant = run_train(best + " " + option + " --out-dir " + out.string());
    ASSERT_EQ(variant.exit_code, 0) << variant.err;
    EXPECT_NE(first_loss(out / "train_log.csv"), reference);
  }
}

TEST(TrainCliRecipes, AnAugmentedRunResumesToTheSameModel) {
  mnist::test::TempDir dir;
  // Constant schedule: a finished 1-epoch run can be extended (see the resume test above).
  const std::string common = kTiny + " --recipe best --lr-schedule constant --seed 9";
  const fs::path whole = dir.path() / "whole";
  const fs::path parts = dir.path() / "parts";
  const auto resumed = train_whole_and_in_parts(common, whole, parts);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_identical_weights(whole / "mnist_mlp.pt", parts / "mnist_mlp.pt", 4);  // --hidden 32

  const auto other_augment = run_train(common + " --epochs 4 --augment 0.5 --resume --out-dir " + parts.string());
  expect_train_error(other_augment, 2, "augment=1.0");
  // Images redrawn in people's styles are part of what was trained on, too.
  const auto with_styles = run_train(common + " --epochs 4 --drawn-styles 0.5 --resume --out-dir " + parts.string());
  expect_train_error(with_styles, 2, "drawn_styles");
}

namespace {

nlohmann::json card_json(const fs::path& model) { return nlohmann::json::parse(model_card(model)); }

// The exported TorchScript's parameter `name`.
torch::Tensor exported_parameter(const fs::path& model, const std::string& name) {
  auto module = torch::jit::load(model.string());
  for (const auto& item : module.named_parameters()) {
    if (item.name == name) return item.value;
  }
  ADD_FAILURE() << model << " has no parameter " << name;
  return {};
}

}  // namespace

TEST(TrainCliCalibration, TheTemperatureIsFittedOnHeldOutImagesFoldedInAndRecorded) {
  mnist::test::TempDir dir;
  const std::string common = kDataDirOption + " --train-limit 1000 --test-limit 300 --hidden 64,32 --epochs 2 --seed 5";
  // Default: calibration on, no validation split, so the last 10% (100 images) are held out.
  const auto calibrated = run_train(common + " --out-dir " + (dir.path() / "held-out").string());
  ASSERT_EQ(calibrated.exit_code, 0) << calibrated.err;
  EXPECT_EQ(banner_value(calibrated.out, "calibrate"), "on");
  EXPECT_EQ(banner_value(calibrated.out, "calibration_holdout"), "0.1");
  EXPECT_NE(calibrated.out.find("calibration: temperature "), std::string::npos) << calibrated.out;
  EXPECT_NE(calibrated.out.find("calibration on the test set: ECE "), std::string::npos) << calibrated.out;
  const auto card = card_json(dir.path() / "held-out" / "mnist_mlp.pt");
  const auto& calibration = card["calibration"];
  const double temperature = calibration["temperature"].get<double>();
  EXPECT_NE(temperature, 1.0);
  // Trained to read people's digits (the default --drawn-styles), so also calibrated on them:
  // the 100 held-out images and every 3rd of them (34) in each of the 18 drawn variants.
  EXPECT_EQ(calibration["images"], 100 + 34 * 18);
  EXPECT_NE(calibration["held_out"].get<std::string>().find(
                "last 100 training images, not trained on, and 612 drawn variants of them (one image in 3 in each variant)"),
            std::string::npos) << calibration;
  EXPECT_EQ(calibration["ece_bins"], 15);
  EXPECT_LE(calibration["after"]["nll"].get<double>(), calibration["before"]["nll"].get<double>());
  EXPECT_EQ(calibration["after"]["accuracy"], calibration["before"]["accuracy"]);

  // The same images held out as a validation split, calibration off: the same weights (the
  // held-out images are exactly those of --val-split 0.1), except the folded last layer.
  const auto validation = run_train(common + " --val-split 0.1 --calibrate off --out-dir " +
                                    (dir.path() / "validation").string());
  ASSERT_EQ(validation.exit_code, 0) << validation.err;
  EXPECT_EQ(banner_value(validation.out, "calibration_holdout"), "0");
  EXPECT_EQ(validation.out.find("calibration: "), std::string::npos) << validation.out;
  EXPECT_EQ(card_json(dir.path() / "validation" / "mnist_mlp.pt")["calibration"]["method"], "none");
  for (const std::string name : {"weight_0", "bias_0", "weight_1", "bias_1"}) {
    EXPECT_TRUE(torch::equal(exported_parameter(dir.path() / "held-out" / "mnist_mlp.pt", name),
                             exported_parameter(dir.path() / "validation" / "mnist_mlp.pt", name))) << name;
  }
  for (const std::string name : {"weight_2", "bias_2"}) {
    const auto folded = exported_parameter(dir.path() / "held-out" / "mnist_mlp.pt", name);
    const auto plain = exported_parameter(dir.path() / "validation" / "mnist_mlp.pt", name);
    EXPECT_TRUE(torch::allclose(folded * temperature, plain, 1e-5, 1e-6)) << name;
  }

  // With a validation split and calibration on, the temperature is fitted on the split.
  // Not trained for people's digits: calibrated on the split's plain images alone.
  const auto on_split =
      run_train(common + " --val-split 0.2 --drawn-styles 0 --out-dir " + (dir.path() / "split").string());
  ASSERT_EQ(on_split.exit_code, 0) << on_split.err;
  const auto split_card = card_json(dir.path() / "split" / "mnist_mlp.pt");
  EXPECT_EQ(split_card["calibration"]["images"], 200);
  EXPECT_EQ(split_card["calibration"]["held_out"], "validation split: the last 200 training images");
}

TEST(TrainCliCalibration, BadValuesAndTooFewImagesAreUsageErrors) {
  mnist::test::TempDir dir;
  expect_train_error(run_train(kDataDirOption + " --calibrate maybe --out-dir " + dir.path().string()), 2,
                        "--calibrate maybe: expected on or off");
  expect_train_error(run_train(kDataDirOption + " --train-limit 5 --out-dir " + dir.path().string()), 2,
                        "--calibrate on: 5 training images leave none to hold out");
  const auto off = run_train(kDataDirOption + " --train-limit 5 --test-limit 10 --epochs 1 --calibrate off --out-dir " +
                             dir.path().string());
  EXPECT_EQ(off.exit_code, 0) << off.err;
}
