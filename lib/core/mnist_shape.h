// The shape of MNIST that every stage agrees on: 28x28 grayscale images of ten digit classes.
// The one home of these numbers; code that depends on them includes this header (and
// static_asserts what it assumes) instead of writing 28, 784 or 10 again.
#pragma once

#include <cstdint>

namespace mnist {

inline constexpr int64_t kImageSide = 28;
inline constexpr int64_t kImagePixels = kImageSide * kImageSide;
inline constexpr int64_t kNumClasses = 10;

}  // namespace mnist
