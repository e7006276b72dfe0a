// Augmentation keeps the digit: identity parameters give the input back exactly, a transformed
// image keeps its ink (within what the scale changes) inside the 28x28 field, and the result is
// the same for the same seed however the work is split. The epoch producer gives the same
// images for (seed, epoch) whether it prepared them ahead or not. Synthetic images only.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "data/augmentation.h"
#include "data/augmented_epochs.h"

namespace {

constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;

// A digit-like image: a "0" (an ellipse ring, 6x8 px radii) with anti-aliased edges, inside the
// central 20x20 box as MNIST's digits are.
std::vector<float> ring_digit() {
  std::vector<float> image(kPixels, 0.0f);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const double dx = (x - 13.5) / 6.0;
      const double dy = (y - 13.5) / 8.0;
      const double r = std::sqrt(dx * dx + dy * dy);
      image[y * kSide + x] = static_cast<float>(std::clamp(1.0 - std::abs(r - 1.0) * 4.0, 0.0, 1.0));
    }
  }
  return image;
}

std::vector<float> repeat(const std::vector<float>& image, int count) {
  std::vector<float> images;
  for (int i = 0; i < count; ++i) images.insert(images.end(), image.begin(), image.end());
  return images;
}

double sum(const float* image) {
  double total = 0;
  for (int i = 0; i < kPixels; ++i) total += image[i];
  return total;
}

double frame_ink(const float* image) {  // on the outermost row and column of each side
  double total = 0;
  for (int i = 0; i < kSide; ++i) {
    total += image[i] + image[(kSide - 1) * kSide + i] + image[i * kSide] + image[i * kSide + kSide - 1];
  }
  return total;
}

std::vector<float> augmented(const std::vector<float>& images, const mnist::AugmentParams& params,
                             uint64_t seed, int64_t first_index = 0) {
  std::vector<float> out(images.size(), -1.0f);
  mnist::augment_images(images.data(), out.data(), static_cast<int64_t>(images.size() / kPixels),
                        params, seed, first_index);
  return out;
}

}  // namespace

TEST(Augmentation, IdentityParametersGiveTheInputBackExactly) {
  const auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto random = torch::rand({5, kPixels}, generator);
  const std::vector<float> images(random.data_ptr<float>(), random.data_ptr<float>() + random.numel());
  EXPECT_TRUE(mnist::AugmentParams{}.is_identity());
  EXPECT_TRUE(mnist::augment_params_for_strength(0).is_identity());
  EXPECT_EQ(augmented(images, mnist::AugmentParams{}, 7), images);
  EXPECT_EQ(augmented(images, mnist::augment_params_for_strength(0), 7), images);
}

TEST(Augmentation, StrengthScalesTheDocumentedParameters) {
  const auto one = mnist::augment_params_for_strength(1);
  EXPECT_DOUBLE_EQ(one.max_shift, 2);
  EXPECT_DOUBLE_EQ(one.max_rotation, 10);
  EXPECT_DOUBLE_EQ(one.min_scale, 0.9);
  EXPECT_DOUBLE_EQ(one.max_scale, 1.1);
  EXPECT_DOUBLE_EQ(one.elastic_alpha, 34);
  EXPECT_DOUBLE_EQ(one.elastic_sigma, 4);
  const auto half = mnist::augment_params_for_strength(0.5);
  EXPECT_DOUBLE_EQ(half.max_rotation, 5);
  EXPECT_DOUBLE_EQ(half.min_scale, 0.95);
  EXPECT_DOUBLE_EQ(half.elastic_alpha, 17);
}

TEST(Augmentation, KeepsTheInkInsideTheFieldAndItsMassWithinATolerance) {
  constexpr int kCount = 1000;
  const std::vector<float> digit = ring_digit();
  const double mass = sum(digit.data());
  ASSERT_GT(mass, 50);
  ASSERT_EQ(frame_ink(digit.data()), 0);
  const std::vector<float> images = repeat(digit, kCount);

  struct Case {
    const char* name;
    mnist::AugmentParams params;
    double low;  // bounds on every image's ink mass, as a fraction of the input's
    double high;
    double max_frame_ink;  // on the outermost pixels, as a fraction of the input's mass
    int max_images_at_frame;  // with more than 1% of the ink on the outermost pixels
  };
  mnist::AugmentParams rigid;  // no change of area: only resampling changes the mass
  rigid.max_shift = 3;
  rigid.max_rotation = 15;
  // Scales change the area by scale^2 (0.9025 to 1.1025 at strength 0.5); the elastic field
  // stretches and squeezes strokes on top of that, Simard's alpha 34 (strength 1) by up to about
  // a third, and now and then moves some ink onto the edge.
  const std::vector<Case> cases = {
      {"rigid", rigid, 0.97, 1.03, 0.001, 0},
      {"strength 0.5", mnist::augment_params_for_strength(0.5), 0.7, 1.4, 0.01, 0},
      {"strength 1", mnist::augment_params_for_strength(1), 0.5, 1.7, 0.08, kCount / 50},
  };
  for (const auto& [name, params, low, high, max_frame_ink, max_images_at_frame] : cases) {
    SCOPED_TRACE(name);
    const std::vector<float> out = augmented(images, params, 42);
    int changed = 0;
    int at_frame = 0;
    double mean_ratio = 0;
    for (int i = 0; i < kCount; ++i) {
      const float* image = out.data() + i * kPixels;
      const double ratio = sum(image) / mass;
      mean_ratio += ratio / kCount;
      EXPECT_GE(ratio, low) << "image " << i;
      EXPECT_LE(ratio, high) << "image " << i;
      EXPECT_LE(frame_ink(image), max_frame_ink * mass) << "image " << i << " left the field";
      at_frame += frame_ink(image) > 0.01 * mass;
      for (int p = 0; p < kPixels; ++p) {
        ASSERT_GE(image[p], 0.0f);
        ASSERT_LE(image[p], 1.0f);
      }
      changed += std::memcmp(image, digit.data(), kPixels * sizeof(float)) != 0;
    }
    EXPECT_NEAR(mean_ratio, 1.0, 0.03) << "ink is lost or made on average";
    EXPECT_LE(at_frame, max_images_at_frame);
    EXPECT_EQ(changed, kCount) << "some images were left as they were";
  }
}

TEST(Augmentation, ShiftsMoveTheCentreOfMassByAtMostTheMaximum) {
  mnist::AugmentParams shift;
  shift.max_shift = 3;
  const std::vector<float> out = augmented(repeat(ring_digit(), 100), shift, 5);
  double largest = 0;
  for (int i = 0; i < 100; ++i) {
    const float* image = out.data() + i * kPixels;
    double cx = 0, cy = 0;
    for (int p = 0; p < kPixels; ++p) {
      cx += image[p] * (p % kSide);
      cy += image[p] * (p / kSide);
    }
    const double mass = sum(image);
    cx = cx / mass - 13.5;
    cy = cy / mass - 13.5;
    EXPECT_LE(std::abs(cx), 3.01) << "image " << i;
    EXPECT_LE(std::abs(cy), 3.01) << "image " << i;
    largest = std::max({largest, std::abs(cx), std::abs(cy)});
  }
  EXPECT_GT(largest, 2.0) << "shifts never came near the maximum";
}

TEST(Augmentation, IsDeterministicForASeedWhateverTheSplitOfTheWork) {
  const auto params = mnist::augment_params_for_strength(1);
  const std::vector<float> images = repeat(ring_digit(), 10);
  const std::vector<float> whole = augmented(images, params, 99);
  EXPECT_EQ(augmented(images, params, 99), whole);
  EXPECT_NE(augmented(images, params, 100), whole);
  // Images 4..9 alone, told where they start, are the same as in the whole set.
  const std::vector<float> tail(images.begin() + 4 * kPixels, images.end());
  EXPECT_EQ(augmented(tail, params, 99, /*first_index=*/4),
            std::vector<float>(whole.begin() + 4 * kPixels, whole.end()));
  // The same input at different indices gets different transforms.
  EXPECT_NE(std::memcmp(whole.data(), whole.data() + kPixels, kPixels * sizeof(float)), 0);
}

TEST(Augmentation, RedrawsTheGivenFractionInPeoplesStylesDeterministically) {
  mnist::AugmentParams params;  // no affine change: only the styles
  params.drawn_styles = 0.3;
  ASSERT_FALSE(params.is_identity());
  const int count = 200;
  const std::vector<float> images = repeat(ring_digit(), count);
  const std::vector<float> whole = augmented(images, params, 7);
  EXPECT_EQ(augmented(images, params, 7), whole);
  int redrawn = 0;
  for (int i = 0; i < count; ++i) {
    const float* image = whole.data() + i * kPixels;
    if (std::memcmp(image, images.data(), kPixels * sizeof(float)) == 0) continue;
    ++redrawn;
    // Prepared as an upload is: white on black, the brightest ink 1, the corners empty.
    EXPECT_FLOAT_EQ(*std::max_element(image, image + kPixels), 1.0f) << "image " << i;
    EXPECT_EQ(image[0] + image[kSide - 1] + image[kPixels - kSide] + image[kPixels - 1], 0.0f) << "image " << i;
  }
  // 30% of 200, give or take four standard deviations of a binomial count (6.5).
  EXPECT_GT(redrawn, 60 - 26);
  EXPECT_LT(redrawn, 60 + 26);
  // A slice told where it starts redraws the same images the same way.
  const std::vector<float> tail(images.begin() + 150 * kPixels, images.end());
  EXPECT_EQ(augmented(tail, params, 7, /*first_index=*/150),
            std::vector<float>(whole.begin() + 150 * kPixels, whole.end()));
  // With the styles off, the affine draws are the ones they always were.
  auto with_styles = mnist::augment_params_for_strength(1);
  with_styles.drawn_styles = 1e-9;
  const auto without = mnist::augment_params_for_strength(1);
  EXPECT_EQ(augmented(images, with_styles, 7), augmented(images, without, 7))
      << "a style drawn in about one in a billion images changed none of 200, but the affine draws moved";
}

// ---------------------------------------------------------------------------------------------
// The epoch producer

namespace {

mnist::MnistTensors synthetic_set(int64_t count) {
  const std::vector<float> images = repeat(ring_digit(), static_cast<int>(count));
  mnist::MnistTensors set;
  set.images = torch::from_blob(const_cast<float*>(images.data()), {count, 1, kSide, kSide}).clone();
  set.labels = torch::arange(count, torch::kLong) % 10;
  return set;
}

}  // namespace

TEST(AugmentedEpochs, AnEpochDependsOnSeedAndEpochAloneWhetherPreparedAheadOrNot) {
  const auto train = synthetic_set(64);
  const auto params = mnist::augment_params_for_strength(1);
  mnist::AugmentedEpochs in_order(train, params, /*seed=*/3, /*last_epoch=*/4);
  std::vector<torch::Tensor> epochs;
  for (int64_t epoch = 1; epoch <= 4; ++epoch) {
    const auto set = in_order.epoch(epoch);
    EXPECT_TRUE(torch::equal(set.labels, train.labels));
    EXPECT_EQ(set.images.sizes(), train.images.sizes());
    epochs.push_back(set.images);
  }
  EXPECT_EQ(in_order.epochs_prepared_ahead(), 3);  // all but the first
  EXPECT_GE(in_order.seconds_waited(), in_order.seconds_waited_ahead());
  EXPECT_FALSE(torch::equal(epochs[0], epochs[1]));
  EXPECT_FALSE(torch::equal(epochs[0], train.images));
  // The epoch returned earlier is not overwritten by the one prepared after it.
  EXPECT_TRUE(torch::equal(epochs[0], in_order.epoch(1).images));

  // As a resumed run asks: epoch 3 first, with nothing prepared ahead.
  mnist::AugmentedEpochs resumed(train, params, /*seed=*/3, /*last_epoch=*/4);
  EXPECT_TRUE(torch::equal(resumed.epoch(3).images, epochs[2]));
  EXPECT_TRUE(torch::equal(resumed.epoch(4).images, epochs[3]));
  EXPECT_EQ(resumed.epochs_prepared_ahead(), 1);

  // The same as transforming the set directly with the epoch's seed.
  std::vector<float> direct(static_cast<size_t>(train.images.numel()));
  mnist::augment_images(train.images.data_ptr<float>(), direct.data(), train.size(), params,
                        mnist::augmentation_seed(3, 2));
  EXPECT_TRUE(torch::equal(epochs[1], torch::from_blob(direct.data(), train.images.sizes())));

  mnist::AugmentedEpochs other_seed(train, params, /*seed=*/4, /*last_epoch=*/4);
  EXPECT_FALSE(torch::equal(other_seed.epoch(1).images, epochs[0]));
}

TEST(AugmentedEpochs, AnEpochSharedOutInChunksIsTheSameAsOneTransformedWhole) {
  // More images than several chunks, so that the caller's thread and the background thread
  // each take some, in whatever order they come: the result may not depend on who took which.
  const auto train = synthetic_set(1500);
  auto params = mnist::augment_params_for_strength(1);
  params.drawn_styles = 0.5;
  mnist::AugmentedEpochs epochs(train, params, /*seed=*/5, /*last_epoch=*/3);
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    std::vector<float> direct(static_cast<size_t>(train.images.numel()));
    mnist::augment_images(train.images.data_ptr<float>(), direct.data(), train.size(), params,
                          mnist::augmentation_seed(5, epoch));
    EXPECT_TRUE(torch::equal(epochs.epoch(epoch).images, torch::from_blob(direct.data(), train.images.sizes())))
        << "epoch " << epoch;
  }
  EXPECT_GE(epochs.seconds_working(), epochs.seconds_helping());
  EXPECT_GT(epochs.seconds_working(), 0.0);
}

TEST(AugmentedEpochs, AnEpochNoLongerWantedIsDroppedAndTheAskedOneIsRight) {
  const auto train = synthetic_set(1500);
  auto params = mnist::augment_params_for_strength(1);
  params.drawn_styles = 0.5;
  mnist::AugmentedEpochs epochs(train, params, /*seed=*/5, /*last_epoch=*/9);
  epochs.epoch(1);  // starts epoch 2 in the background
  const auto skipped_to = epochs.epoch(7).images;
  std::vector<float> direct(static_cast<size_t>(train.images.numel()));
  mnist::augment_images(train.images.data_ptr<float>(), direct.data(), train.size(), params,
                        mnist::augmentation_seed(5, 7));
  EXPECT_TRUE(torch::equal(skipped_to, torch::from_blob(direct.data(), train.images.sizes())));
  EXPECT_EQ(epochs.epochs_prepared_ahead(), 0);
}

TEST(AugmentedEpochs, IdentityParametersGiveTheTrainingSetItself) {
  const auto train = synthetic_set(20);
  mnist::AugmentedEpochs epochs(train, mnist::AugmentParams{}, /*seed=*/1, /*last_epoch=*/2);
  EXPECT_TRUE(torch::equal(epochs.epoch(1).images, train.images));
  EXPECT_TRUE(torch::equal(epochs.epoch(2).images, train.images));
}
