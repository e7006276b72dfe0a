// A Keras .h5 model as mnist-train --init-from, mnist-convert and the tools' --model read it,
// from a memory image of the file (HDF5's in-memory driver), so no file is written per input.
// Built twice: fuzz_keras_h5 reads as the tools do, in a child process, so that what HDF5 does
// with a damaged file must come back as one RuntimeError (CI runs it; its coverage stops at the
// fork); fuzz_hdf5_in_process reads in this process, so that libFuzzer sees into our reading
// code and finds HDF5's crashes (campaigns: scripts/fuzz.sh hdf5_in_process).
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras_h5.h"
#include "fuzz_input.h"

#if defined(MNIST_LIBFUZZER) && !defined(MNIST_FUZZ_HDF5_IN_PROCESS)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
// The child that reads the file must die quietly when HDF5 crashes, as in the tools: without
// this, the fuzzer's own handler (inherited through fork) would report the child's death as a
// finding of the parent.
[[maybe_unused]] const int kChildDiesQuietly =
    pthread_atfork(nullptr, nullptr, [] { __sanitizer_set_death_callback(nullptr); });
#endif

#ifndef MNIST_FUZZ_HDF5_IN_PROCESS
// Files HDF5 loops on fail after 1 s here instead of the tools' 60 (a valid file takes
// milliseconds): each one kept under regressions/ costs its deadline in every replay, and so
// does every mutation of it that still loops while fuzzing.
constexpr std::chrono::seconds kFuzzReadDeadline{1};
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
#ifdef MNIST_FUZZ_HDF5_IN_PROCESS
    const mnist::KerasModel model =
        mnist::load_keras_model_image_in_process(mnist::fuzz::as_text(data, size), "fuzz.h5");
#else
    const mnist::KerasModel model =
        mnist::load_keras_model_image(mnist::fuzz::as_text(data, size), "fuzz.h5", kFuzzReadDeadline);
#endif
    mnist::fuzz::require(!model.layers.empty(), "a model has layers");
    int64_t inputs = mnist::kImagePixels;
    for (const mnist::DenseLayerWeights& layer : model.layers) {
      mnist::fuzz::require(layer.inputs == inputs, "layers chain from 784 inputs");
      mnist::fuzz::require(layer.kernel.size() == static_cast<size_t>(layer.inputs * layer.units) &&
                               layer.bias.size() == static_cast<size_t>(layer.units),
                           "weights have the shapes the layer says");
      inputs = layer.units;
    }
    mnist::fuzz::require(inputs == mnist::kNumClasses, "the last layer gives 10 classes");
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
