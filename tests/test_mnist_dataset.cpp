// MNIST as byte tensors through LibTorch's dataset API: the same examples LibTorch's own MNIST
// reader gives, in a quarter of the memory, and training on bytes is training on those floats.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "data/mnist_bytes_dataset.h"
#include "data/mnist_dataset.h"
#include "synthetic_mnist.h"
#include "test_support.h"
#include "train/trainer.h"

namespace {

const std::filesystem::path kData = MNIST_TEST_DATA_DIR;

}  // namespace

TEST(MnistBytesDataset, GivesExactlyWhatLibTorchsReaderGives) {
  ASSERT_TRUE(std::filesystem::exists(kData / "t10k-images-idx3-ubyte"))
      << "MNIST is missing from " << kData << ": run scripts/setup.sh";
  const mnist::MnistBytesDataset ours(kData, mnist::MnistSplit::kTest);
  torch::data::datasets::MNIST theirs(kData.string(), torch::data::datasets::MNIST::Mode::kTest);
  EXPECT_EQ(ours.images().scalar_type(), torch::kByte);
  EXPECT_EQ(ours.images().sizes(), theirs.images().sizes());
  EXPECT_TRUE(torch::equal(mnist::pixels_in_unit_range(ours.images()), theirs.images()));
  EXPECT_TRUE(torch::equal(ours.labels(), theirs.targets()));
}

TEST(MnistBytesDataset, WorksWithTorchDataLoaders) {
  auto dataset = mnist::MnistBytesDataset(kData, mnist::MnistSplit::kTest)
                     .map(torch::data::transforms::Stack<>());
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      std::move(dataset), torch::data::DataLoaderOptions().batch_size(64));
  const auto reference = mnist::load_mnist(kData, mnist::MnistSplit::kTest, 64);
  const auto batch = *loader->begin();
  EXPECT_EQ(batch.data.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(batch.data, reference.images));
  EXPECT_TRUE(torch::equal(batch.target, reference.labels));
}

TEST(LoadMnist, BytesAndFloatsAreTheSameExamples) {
  const auto bytes = mnist::load_mnist(kData, mnist::MnistSplit::kTest, 500, mnist::PixelFormat::kBytes);
  const auto floats = mnist::load_mnist(kData, mnist::MnistSplit::kTest, 500);
  ASSERT_EQ(bytes.size(), 500);
  EXPECT_EQ(bytes.images.scalar_type(), torch::kByte);
  EXPECT_EQ(floats.images.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(mnist::pixels_in_unit_range(bytes.images), floats.images));
  EXPECT_TRUE(torch::equal(bytes.labels, floats.labels));
  // A float tensor is passed through untouched.
  EXPECT_TRUE(mnist::pixels_in_unit_range(floats.images).is_same(floats.images));
  const auto split = mnist::split_validation(bytes, 0.2);
  EXPECT_EQ(split.train.size(), 400);
  EXPECT_EQ(split.validation.images.scalar_type(), torch::kByte);
}

// LibTorch's reader takes exactly 60000 or 10000 examples; ours any valid IDX pair, so digits of
// one's own in MNIST's format load like MNIST, plain or gzipped.
TEST(LoadMnist, AnyValidIdxPairLoadsWhateverItsSize) {
  using namespace mnist::test;
  constexpr int64_t kCount = 50;
  IdxFile images = synthetic_images(kCount);
  IdxFile labels = synthetic_labels(kCount);
  TempDir dir;
  write_bytes(dir.path() / "train-images-idx3-ubyte", images.bytes());
  write_bytes(dir.path() / "train-labels-idx1-ubyte", labels.bytes());
  write_bytes(dir.path() / "t10k-images-idx3-ubyte.gz", gzip_bytes(images.bytes()));
  write_bytes(dir.path() / "t10k-labels-idx1-ubyte.gz", gzip_bytes(labels.bytes()));
  const auto expected_images = torch::from_blob(images.data.data(), {kCount, 1, 28, 28}, torch::kByte);
  const auto expected_labels = torch::from_blob(labels.data.data(), {kCount}, torch::kByte).to(torch::kLong);
  for (const auto split : {mnist::MnistSplit::kTrain, mnist::MnistSplit::kTest}) {
    const auto loaded = mnist::load_mnist(dir.path(), split, 0, mnist::PixelFormat::kBytes);
    ASSERT_EQ(loaded.size(), kCount);
    EXPECT_TRUE(torch::equal(loaded.images, expected_images));
    EXPECT_TRUE(torch::equal(loaded.labels, expected_labels));
  }
}

TEST(LoadMnist, TrainingOnBytesIsTrainingOnTheirFloats) {
  const auto bytes = mnist::load_mnist(kData, mnist::MnistSplit::kTest, 256, mnist::PixelFormat::kBytes);
  const auto floats = mnist::load_mnist(kData, mnist::MnistSplit::kTest, 256);
  mnist::ModelSpec spec;
  spec.hidden = {32, 16};
  mnist::TrainSettings settings;
  settings.batch_size = 32;
  mnist::TrainingObserver quiet;
  mnist::Trainer on_bytes(spec, settings, torch::kCPU);
  mnist::Trainer on_floats(spec, settings, torch::kCPU);
  on_bytes.train_epoch(1, bytes, quiet);
  on_floats.train_epoch(1, floats, quiet);
  const auto a = on_bytes.model()->parameters();
  const auto b = on_floats.model()->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}
