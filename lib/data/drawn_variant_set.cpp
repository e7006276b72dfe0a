// A labelled set with its drawn variants; see drawn_variant_set.h.
#include "data/drawn_variant_set.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <vector>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "data/mnist_bytes_dataset.h"
#include "image/drawn_variants.h"
#include "image/image_preprocess.h"

namespace mnist {

MnistTensors with_drawn_variants(const MnistTensors& data, int64_t every) {
  if (every < 1) throw std::invalid_argument("with_drawn_variants: every must be at least 1");
  const at::Tensor plain = pixels_in_unit_range(data.images).to(at::kCPU).reshape({data.size(), kImagePixels}).contiguous();
  const at::Tensor labels = data.labels.to(at::kCPU).contiguous();
  std::vector<float> pixels(plain.data_ptr<float>(), plain.data_ptr<float>() + plain.numel());
  std::vector<int64_t> digit_labels(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + labels.numel());
  for (const DrawnVariant variant : kAllDrawnVariants) {
    for (int64_t i = 0; i < data.size(); i += every) {
      const float* row = plain.data_ptr<float>() + i * kImagePixels;
      try {
        const auto prepared = prepare_digit(render_drawn_variant({row, row + kImagePixels}, variant, i)).pixels;
        const int64_t label = digit_labels[static_cast<size_t>(i)];
        pixels.insert(pixels.end(), prepared.begin(), prepared.end());
        digit_labels.push_back(label);
      } catch (const RuntimeError&) {
        // Refused as an upload would be: mnist-serve never answers on it, so it has no confidence.
      }
    }
  }
  const auto count = static_cast<int64_t>(digit_labels.size());
  MnistTensors result;
  result.images = at::from_blob(pixels.data(), {count, 1, kImageSide, kImageSide}, at::kFloat).clone();
  result.labels = at::from_blob(digit_labels.data(), {count}, at::kLong).clone();
  return result;
}

}  // namespace mnist
