// A Keras model config as the tools read it from a .keras archive's config.json (and from an
// .h5's model_config): JSON that must describe a Sequential of the supported layers. An accepted
// config holds only those layers, each Dense with a supported activation, and declares an input
// of one image.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "export/keras_config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mnist::keras_h5_detail;
  try {
    const std::string text(mnist::fuzz::as_text(data, size));
    const auto layers = parse_sequential_config("fuzz.keras", "config.json", text);
    check_input_shape("fuzz.keras", layers);
    for (const ConfigLayer& layer : layers) {
      const std::string& kind = layer.class_name;
      mnist::fuzz::require(kind == "InputLayer" || kind == "Flatten" || kind == "Dense" || kind == "Dropout",
                           "only the supported layers");
      if (kind != "Dense") continue;
      bool known = false;
      for (const char* activation : mnist::kKerasActivations) known = known || layer.activation == activation;
      mnist::fuzz::require(known, "a Dense layer's activation is one the model can run");
    }
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
