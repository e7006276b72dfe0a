// Keras legacy H5 export: bit-exact round trips through our reader, and an independent reader
// (h5py + numpy, tests/python/check_keras_h5.py) that checks the layout as the Keras loaders read
// it and runs the model's forward pass on the stored kernels.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "export/keras_h5.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::DenseLayerWeights;
using mnist::KerasH5Kind;

namespace {

const std::string kChecker = std::string(MNIST_TEST_SCRIPTS_DIR) + "/check_keras_h5.py";

// The default model: 784-300-100-10, relu, relu, softmax; weights small enough that the softmax
// stays far from saturation, so a scrambled kernel changes the probabilities visibly.
std::vector<DenseLayerWeights> make_layers(unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> weight(-0.1f, 0.1f);
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{784, 300}, {300, 100}, {100, 10}};
  std::vector<DenseLayerWeights> layers;
  for (size_t i = 0; i < shapes.size(); ++i) {
    DenseLayerWeights layer;
    layer.inputs = shapes[i].first;
    layer.units = shapes[i].second;
    layer.kernel.resize(static_cast<size_t>(layer.inputs * layer.units));
    layer.bias.resize(static_cast<size_t>(layer.units));
    for (float& value : layer.kernel) value = weight(generator);
    for (float& value : layer.bias) value = weight(generator);
    layer.activation = i + 1 < shapes.size() ? "relu" : "softmax";
    layers.push_back(std::move(layer));
  }
  return layers;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void expect_same_weights(const std::vector<DenseLayerWeights>& written,
                         const std::vector<DenseLayerWeights>& read) {
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(read[i].inputs, written[i].inputs) << "layer " << i;
    EXPECT_EQ(read[i].units, written[i].units) << "layer " << i;
    EXPECT_TRUE(bit_equal(read[i].kernel, written[i].kernel)) << "layer " << i << " kernel";
    EXPECT_TRUE(bit_equal(read[i].bias, written[i].bias)) << "layer " << i << " bias";
  }
}

// y = x·K + b per layer, K row-major (inputs, units): the meaning the exporter gives the buffer.
std::vector<float> forward(const std::vector<DenseLayerWeights>& layers, const std::vector<float>& x,
                           size_t count) {
  std::vector<double> h(x.begin(), x.end());
  for (const DenseLayerWeights& layer : layers) {
    const auto inputs = static_cast<size_t>(layer.inputs);
    const auto units = static_cast<size_t>(layer.units);
    std::vector<double> next(count * units);
    for (size_t n = 0; n < count; ++n) {
      for (size_t j = 0; j < units; ++j) {
        double sum = layer.bias[j];
        for (size_t i = 0; i < inputs; ++i) sum += h[n * inputs + i] * layer.kernel[i * units + j];
        next[n * units + j] = sum;
      }
      double* row = next.data() + n * units;
      if (layer.activation == "relu") {
        for (size_t j = 0; j < units; ++j) row[j] = std::max(row[j], 0.0);
      } else {
        double largest = row[0], total = 0;
        for (size_t j = 0; j < units; ++j) largest = std::max(largest, row[j]);
        for (size_t j = 0; j < units; ++j) total += row[j] = std::exp(row[j] - largest);
        for (size_t j = 0; j < units; ++j) row[j] /= total;
      }
    }
    h = std::move(next);
  }
  return std::vector<float>(h.begin(), h.end());
}

// A minimal .npy (format 1.0) writer for float32 arrays, for numpy.load on the Python side.
void write_npy(const fs::path& path, const std::vector<float>& values, const std::vector<size_t>& shape) {
  const uint16_t one = 1;
  const bool little_endian = *reinterpret_cast<const unsigned char*>(&one) == 1;
  std::string shape_text = "(";
  for (size_t d : shape) shape_text += std::to_string(d) + ",";
  shape_text += ")";
  std::string header = std::string("{'descr': '") + (little_endian ? "<" : ">") +
                       "f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  const size_t preamble = 10;  // magic (6), version (2), header length (2)
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  const char magic[] = {'\x93', 'N', 'U', 'M', 'P', 'Y', '\x01', '\x00'};
  out.write(magic, sizeof magic);
  const char length[] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(length, sizeof length);
  out << header;
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs a Python command line with the test interpreter, capturing stdout and stderr together.
CommandResult run_python(const std::string& arguments, const fs::path& work_dir) {
  const fs::path log = work_dir / "python-output.txt";
  const std::string command =
      quoted(MNIST_TEST_PYTHON) + " " + arguments + " > " + quoted(log.string()) + " 2>&1";
  const int status = std::system(command.c_str());
  CommandResult result;
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.output = read_all(log);
  return result;
}

CommandResult run_checker(const fs::path& file, const std::string& options, const fs::path& work_dir) {
  return run_python(quoted(kChecker) + " " + quoted(file.string()) + " " + options, work_dir);
}

template <typename Exception, typename Action>
std::string message_of(Action&& action) {
  try {
    action();
  } catch (const Exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

// Damages a copy of a good full-model file the way other writers get it wrong.
const char* const kDamageScript = R"(
import sys, h5py, numpy as np
path, how = sys.argv[1], sys.argv[2]
with h5py.File(path, "r+") as f:
    g = f["model_weights"]
    def replace(name, data):
        del g[name]
        parent, leaf = name.rsplit("/", 1)
        g[parent].create_dataset(leaf, data=data)
    if how == "transposed_kernel":
        replace("dense/dense/kernel:0", g["dense/dense/kernel:0"][...].T)
    elif how == "bias_column":
        replace("dense/dense/bias:0", g["dense/dense/bias:0"][...].reshape(-1, 1))
    elif how == "float64_bias":
        replace("dense_1/dense_1/bias:0", g["dense_1/dense_1/bias:0"][...].astype("<f8"))
    elif how == "missing_bias":
        del g["dense_2/dense_2/bias:0"]
    elif how == "variable_length_names":
        g.attrs["layer_names"] = [n.decode() for n in g.attrs["layer_names"]]
    elif how == "nullterm_names":
        names = list(g.attrs["layer_names"])
        width = max(len(n) for n in names)
        string_type = h5py.h5t.C_S1.copy()
        string_type.set_size(width)
        string_type.set_strpad(h5py.h5t.STR_NULLTERM)
        del g.attrs["layer_names"]
        attribute = h5py.h5a.create(g.id, b"layer_names", string_type, h5py.h5s.create_simple((len(names),)))
        attribute.write(np.array(names, dtype=f"S{width}"), mtype=string_type)
    else:
        sys.exit("unknown damage " + how)
)";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

TEST(KerasH5, FullModelRoundTripIsBitExact) {
  mnist::test::TempDir dir;
  std::vector<DenseLayerWeights> layers = make_layers(/*seed=*/1);
  // Values a lossy conversion would change: signed zero, subnormal, extremes, inf, NaN.
  const std::vector<float> specials = {-0.0f,
                                       std::numeric_limits<float>::denorm_min(),
                                       std::numeric_limits<float>::max(),
                                       std::numeric_limits<float>::lowest(),
                                       std::numeric_limits<float>::infinity(),
                                       std::numeric_limits<float>::quiet_NaN()};
  std::copy(specials.begin(), specials.end(), layers[0].kernel.begin());
  std::copy(specials.begin(), specials.end(), layers[2].bias.begin());
  const fs::path path = dir.path() / "image_recognition.h5";
  mnist::write_keras_h5(path, layers, KerasH5Kind::kFullModel);

  const std::vector<DenseLayerWeights> read = mnist::read_keras_h5(path, KerasH5Kind::kFullModel);
  expect_same_weights(layers, read);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].activation, "relu");
  EXPECT_EQ(read[1].activation, "relu");
  EXPECT_EQ(read[2].activation, "softmax");
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1) << "temporary file left behind";
}

TEST(KerasH5, WeightsOnlyRoundTripIsBitExact) {
  mnist::test::TempDir dir;
  const std::vector<DenseLayerWeights> layers = make_layers(/*seed=*/2);
  const fs::path path = dir.path() / "weights.h5";
  mnist::write_keras_h5(path, layers, KerasH5Kind::kWeightsOnly);

  const std::vector<DenseLayerWeights> read = mnist::read_keras_h5(path, KerasH5Kind::kWeightsOnly);
  expect_same_weights(layers, read);
  for (const DenseLayerWeights& layer : read) EXPECT_EQ(layer.activation, "") << "not stored in weights.h5";
}

TEST(KerasH5, WeightsReaderFallsBackToModelWeightsLikeLoadWeights) {
  mnist::test::TempDir dir;
  const std::vector<DenseLayerWeights> layers = make_layers(/*seed=*/3);
  const fs::path path = dir.path() / "image_recognition.h5";
  mnist::write_keras_h5(path, layers, KerasH5Kind::kFullModel);
  expect_same_weights(layers, mnist::read_keras_h5(path, KerasH5Kind::kWeightsOnly));
}

TEST(KerasH5, OverwritesAnExistingFile) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "weights.h5";
  mnist::write_keras_h5(path, make_layers(/*seed=*/4), KerasH5Kind::kWeightsOnly);
  const std::vector<DenseLayerWeights> second = make_layers(/*seed=*/5);
  mnist::write_keras_h5(path, second, KerasH5Kind::kWeightsOnly);
  expect_same_weights(second, mnist::read_keras_h5(path, KerasH5Kind::kWeightsOnly));
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1);
}

// ---------------------------------------------------------------------------------------------
// The independent reader
// ---------------------------------------------------------------------------------------------

TEST(KerasH5, PythonCheckerAcceptsBothFiles) {
  mnist::test::TempDir dir;
  const std::vector<DenseLayerWeights> layers = make_layers(/*seed=*/6);
  mnist::write_keras_h5(dir.path() / "image_recognition.h5", layers, KerasH5Kind::kFullModel);
  mnist::write_keras_h5(dir.path() / "weights.h5", layers, KerasH5Kind::kWeightsOnly);

  const CommandResult full = run_checker(dir.path() / "image_recognition.h5", "", dir.path());
  EXPECT_EQ(full.exit_code, 0) << full.output;
  EXPECT_EQ(full.output, "OK\n");
  const CommandResult weights = run_checker(dir.path() / "weights.h5", "--weights-only", dir.path());
  EXPECT_EQ(weights.exit_code, 0) << weights.output;
  EXPECT_EQ(weights.output, "OK\n");
  // The weights file is no full model: the checker must tell them apart.
  const CommandResult mixed_up = run_checker(dir.path() / "weights.h5", "", dir.path());
  EXPECT_EQ(mixed_up.exit_code, 1) << mixed_up.output;
  EXPECT_NE(mixed_up.output.find("/@layer_names must not exist in a full model"), std::string::npos)
      << mixed_up.output;
}

// Shapes alone cannot show a missing transpose: numpy's forward pass on the stored kernels must
// give the probabilities this side computes with kernel[i * units + j] as row i, column j.
TEST(KerasH5, KernelIsStoredInputsByUnits) {
  mnist::test::TempDir dir;
  const std::vector<DenseLayerWeights> layers = make_layers(/*seed=*/7);
  constexpr size_t kImages = 5;
  std::mt19937 generator(/*seed=*/8);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<float> images(kImages * 28 * 28);
  for (float& value : images) value = pixel(generator);
  const std::vector<float> probabilities = forward(layers, images, kImages);
  write_npy(dir.path() / "images.npy", images, {kImages, 28, 28});
  write_npy(dir.path() / "probabilities.npy", probabilities, {kImages, 10});
  const std::string forward_options = "--forward-input " + quoted((dir.path() / "images.npy").string()) +
                                      " --expect-probs " +
                                      quoted((dir.path() / "probabilities.npy").string()) + " --tol 1e-5";

  mnist::write_keras_h5(dir.path() / "image_recognition.h5", layers, KerasH5Kind::kFullModel);
  mnist::write_keras_h5(dir.path() / "weights.h5", layers, KerasH5Kind::kWeightsOnly);
  const CommandResult full = run_checker(dir.path() / "image_recognition.h5", forward_options, dir.path());
  EXPECT_EQ(full.exit_code, 0) << full.output;
  const CommandResult weights =
      run_checker(dir.path() / "weights.h5", "--weights-only " + forward_options, dir.path());
  EXPECT_EQ(weights.exit_code, 0) << weights.output;

  // The trap of spec section 7: the torch (units, inputs) buffer under (inputs, units) dims passes
  // every shape check; only the numbers catch it.
  std::vector<DenseLayerWeights> scrambled = layers;
  for (DenseLayerWeights& layer : scrambled) {
    const auto inputs = static_cast<size_t>(layer.inputs);
    const auto units = static_cast<size_t>(layer.units);
    const std::vector<float> kernel = layer.kernel;
    for (size_t i = 0; i < inputs; ++i) {
      for (size_t j = 0; j < units; ++j) layer.kernel[j * inputs + i] = kernel[i * units + j];
    }
  }
  const fs::path scrambled_path = dir.path() / "scrambled" / "image_recognition.h5";
  mnist::write_keras_h5(scrambled_path, scrambled, KerasH5Kind::kFullModel);
  const CommandResult caught = run_checker(scrambled_path, forward_options, dir.path());
  EXPECT_EQ(caught.exit_code, 1) << caught.output;
  EXPECT_NE(caught.output.find("forward differs"), std::string::npos) << caught.output;
}

// The NULLTERM trap: with size == strlen, h5py can hand Keras "dense_" for "dense_1". Newer h5py
// reads such names whole, so the padding is checked as well.
TEST(KerasH5, H5pyReadsNamesBackWhole) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "image_recognition.h5";
  mnist::write_keras_h5(path, make_layers(/*seed=*/9), KerasH5Kind::kFullModel);
  const fs::path script = dir.path() / "names.py";
  std::ofstream(script) << R"(
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    g = f["model_weights"]
    print(" ".join(n.decode() for n in g.attrs["layer_names"]))
    print(" ".join(n.decode() for n in g["dense_1"].attrs["weight_names"]))
    print(f.attrs["keras_version"].decode(), f.attrs["backend"].decode())
    pads = {h5py.h5a.open(o.id, n.encode()).get_type().get_strpad() for o in (f, g, g["dense_1"]) for n in o.attrs}
    print("NULLPAD" if pads == {h5py.h5t.STR_NULLPAD} else pads)
)";
  const CommandResult result = run_python(quoted(script.string()) + " " + quoted(path.string()), dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output,
            "flatten dense dense_1 dense_2\n"
            "dense_1/kernel:0 dense_1/bias:0\n"
            "2.15.0 tensorflow\n"
            "NULLPAD\n");
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

TEST(KerasH5, MissingFileIsReported) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "image_recognition.h5";
  EXPECT_EQ(message_of<mnist::RuntimeError>([&] { mnist::read_keras_h5(path, KerasH5Kind::kFullModel); }),
            path.string() + ": no such file");
}

TEST(KerasH5, NonHdf5FileIsReported) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "image_recognition.h5";
  std::ofstream(path) << "this is not HDF5, just some text that happens to be long enough\n";
  EXPECT_EQ(message_of<mnist::RuntimeError>([&] { mnist::read_keras_h5(path, KerasH5Kind::kFullModel); }),
            path.string() + ": not an HDF5 file (expected a Keras .h5 file)");
}

TEST(KerasH5, FileWithoutTheLayoutIsReported) {
  mnist::test::TempDir dir;
  const fs::path weights_path = dir.path() / "weights.h5";
  mnist::write_keras_h5(weights_path, make_layers(/*seed=*/10), KerasH5Kind::kWeightsOnly);
  EXPECT_EQ(message_of<mnist::RuntimeError>(
                [&] { mnist::read_keras_h5(weights_path, KerasH5Kind::kFullModel); }),
            weights_path.string() +
                ": not a valid Keras H5 model: /@model_config: missing (a weights-only file? read it "
                "as weights)");

  const fs::path other_path = dir.path() / "other.h5";
  const CommandResult made = run_python(
      "-c " + quoted(R"(import sys, h5py; h5py.File(sys.argv[1], "w").create_group("data"))") + " " +
          quoted(other_path.string()),
      dir.path());
  ASSERT_EQ(made.exit_code, 0) << made.output;
  EXPECT_EQ(message_of<mnist::RuntimeError>(
                [&] { mnist::read_keras_h5(other_path, KerasH5Kind::kWeightsOnly); }),
            other_path.string() +
                ": not a valid Keras H5 weights file: neither /@layer_names nor a /model_weights group");
}

// Each damage must be caught by our reader with a message naming the object, and by the
// independent checker: neither may accept what a Keras loader would reject or misread.
TEST(KerasH5, DamagedFilesAreReported) {
  mnist::test::TempDir dir;
  const fs::path good = dir.path() / "good.h5";
  mnist::write_keras_h5(good, make_layers(/*seed=*/11), KerasH5Kind::kFullModel);
  const fs::path damage_script = dir.path() / "damage.py";
  std::ofstream(damage_script) << kDamageScript;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"transposed_kernel", "/model_weights/dense/dense/kernel:0: shape (300, 784), expected (784, units)"},
      {"bias_column", "/model_weights/dense/dense/bias:0: shape (300, 1), expected (300,)"},
      {"float64_bias", "/model_weights/dense_1/dense_1/bias:0: not float32 little-endian"},
      {"missing_bias", "/model_weights/dense_2/dense_2/bias:0: missing"},
      {"variable_length_names", "/model_weights@layer_names: a variable-length string; tf.keras <= 2.4 "
                                "needs fixed-length strings"},
      {"nullterm_names", "/model_weights/flatte: missing"},  // the longest name loses its end
  };
  for (const auto& [damage, expected] : cases) {
    SCOPED_TRACE(damage);
    const fs::path path = dir.path() / (damage + ".h5");
    fs::copy_file(good, path);
    const CommandResult damaged =
        run_python(quoted(damage_script.string()) + " " + quoted(path.string()) + " " + damage, dir.path());
    ASSERT_EQ(damaged.exit_code, 0) << damaged.output;

    const std::string message =
        message_of<mnist::RuntimeError>([&] { mnist::read_keras_h5(path, KerasH5Kind::kFullModel); });
    EXPECT_EQ(message, path.string() + ": not a valid Keras H5 model: " + expected);
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line only";
    const CommandResult checked = run_checker(path, "", dir.path());
    EXPECT_EQ(checked.exit_code, 1) << checked.output;
  }
}

TEST(KerasH5, InconsistentLayersAreRejectedBeforeWriting) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "image_recognition.h5";
  const std::string prefix = path.string() + ": cannot write Keras H5 file: ";
  const auto message_for = [&](const std::vector<DenseLayerWeights>& layers) {
    return message_of<std::invalid_argument>(
        [&] { mnist::write_keras_h5(path, layers, KerasH5Kind::kFullModel); });
  };

  EXPECT_EQ(message_for({}), prefix + "no Dense layers given");
  auto layers = make_layers(/*seed=*/12);
  layers[0].inputs = 28;
  EXPECT_EQ(message_for(layers), prefix + "dense: inputs is 28, expected 784 (the flattened 28x28 image)");
  layers = make_layers(/*seed=*/12);
  layers[1].inputs = 299;
  EXPECT_EQ(message_for(layers),
            prefix + "dense_1: inputs is 299, expected 300 (the units of the previous layer)");
  layers = make_layers(/*seed=*/12);
  layers[2].kernel.pop_back();
  EXPECT_EQ(message_for(layers), prefix + "dense_2: kernel has 999 values, expected 100x10 = 1000");
  layers = make_layers(/*seed=*/12);
  layers[0].bias.push_back(0.0f);
  EXPECT_EQ(message_for(layers), prefix + "dense: bias has 301 values, expected 300");
  layers = make_layers(/*seed=*/12);
  // Keras' other Dense activations are written (imported models carry them); others are not.
  layers[2].activation = "gelu";
  EXPECT_EQ(message_for(layers), prefix + "dense_2: activation \"gelu\" is not supported (use relu, "
                                          "softmax, linear, sigmoid or tanh)");
  layers = make_layers(/*seed=*/12);
  layers[1].units = 0;
  EXPECT_EQ(message_for(layers), prefix + "dense_1: units is 0, expected a positive count");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(mnist::test::count_files(dir.path()), 0);
}

TEST(KerasH5, NamesKerasWouldNotLoadAsThisLayoutAreRejected) {
  mnist::test::TempDir dir;
  for (const char* name : {"model.weights.h5", "model.hdf5", "model"}) {
    const fs::path path = dir.path() / name;
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { mnist::write_keras_h5(path, make_layers(/*seed=*/13), KerasH5Kind::kWeightsOnly); }),
              path.string() +
                  ": cannot write Keras H5 file: the name must end in .h5 but not in .weights.h5, or "
                  "Keras picks another format");
  }
  EXPECT_EQ(mnist::test::count_files(dir.path()), 0);
}

// A file size limit makes the operating system refuse writes past it, as a full disk would, partway
// through the HDF5 file; the previous file must survive and the temporary must go.
TEST(KerasH5, FailedWriteKeepsPreviousFileAndLeavesNoTemporary) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "image_recognition.h5";
  const std::vector<DenseLayerWeights> good = make_layers(/*seed=*/14);
  mnist::write_keras_h5(path, good, KerasH5Kind::kFullModel);
  const std::string good_bytes = read_all(path);
  ASSERT_GT(good_bytes.size(), 1000000u);

  std::string message;
  {
    struct FileSizeLimit {
      rlimit saved{};
      void (*saved_handler)(int) = nullptr;
      FileSizeLimit() {
        getrlimit(RLIMIT_FSIZE, &saved);
        saved_handler = std::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
        rlimit limited = saved;
        limited.rlim_cur = 64 * 1024;
        setrlimit(RLIMIT_FSIZE, &limited);
      }
      ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, saved_handler);
      }
    } limit;
    message = message_of<mnist::RuntimeError>(
        [&] { mnist::write_keras_h5(path, make_layers(/*seed=*/15), KerasH5Kind::kFullModel); });
  }
  EXPECT_EQ(message.rfind(path.string() + ": cannot write Keras H5 file: ", 0), 0u) << message;
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(read_all(path), good_bytes);
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1) << "temporary file left behind";
  expect_same_weights(good, mnist::read_keras_h5(path, KerasH5Kind::kFullModel));
}
