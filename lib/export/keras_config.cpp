// Keras model configs as both Keras readers see them; see keras_config.h.
#include "export/keras_config.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/mnist_shape.h"

namespace mnist::keras_h5_detail {

namespace {

// Messages start with the file; `where` names the config inside it.
struct ConfigErrors {
  std::string prefix;
  std::string where;
  [[noreturn]] void fail(const std::string& what) const { throw RuntimeError(prefix + what); }
};


std::optional<std::vector<int64_t>> declared_input_shape(const ConfigErrors& errors, const ConfigLayer& layer,
                                                         const nlohmann::json& config) {
  for (const char* key : {"batch_shape", "batch_input_shape"}) {
    if (!config.contains(key) || config.at(key).is_null()) continue;
    std::vector<int64_t> shape;
    const auto& dims = config.at(key);
    if (!dims.is_array() || dims.empty()) errors.fail("layer " + layer.label() + ": " + key + " is not a shape");
    for (size_t i = 1; i < dims.size(); ++i) shape.push_back(dims[i].is_number_integer() ? dims[i].get<int64_t>() : -1);
    return shape;
  }
  if (config.contains("input_shape") && config.at("input_shape").is_array()) {
    std::vector<int64_t> shape;
    for (const auto& dim : config.at("input_shape")) shape.push_back(dim.is_number_integer() ? dim.get<int64_t>() : -1);
    return shape;
  }
  return std::nullopt;
}

bool is_supported_activation(const std::string& activation) {
  for (const char* known : kKerasActivations) {
    if (activation == known) return true;
  }
  return false;
}

ConfigLayer parse_config_layer(const ConfigErrors& errors, const nlohmann::json& entry, size_t index) {
  ConfigLayer layer;
  layer.class_name = entry.value("class_name", "");
  const nlohmann::json config = entry.contains("config") ? entry.at("config") : nlohmann::json::object();
  layer.name = config.is_object() ? config.value("name", "layer " + std::to_string(index)) : "";
  if (!config.is_object()) errors.fail(errors.where + ": layer " + std::to_string(index) + " has no config");
  if (layer.class_name != "InputLayer" && layer.class_name != "Flatten" && layer.class_name != "Dense" &&
      layer.class_name != "Dropout") {
    errors.fail("layer " + layer.label() + " is not supported; supported are InputLayer, Flatten, Dense "
            "and Dropout (a Sequential MLP)");
  }
  layer.input_shape = declared_input_shape(errors, layer, config);
  if (layer.class_name == "Flatten" && config.value("data_format", "channels_last") != "channels_last") {
    errors.fail("layer " + layer.label() + ": data_format " + config.at("data_format").dump() +
            " is not supported; only channels_last");
  }
  if (layer.class_name == "Dense") {
    if (!config.contains("units") || !config.at("units").is_number_integer()) {
      errors.fail("layer " + layer.label() + ": no integer units in its config");
    }
    layer.units = config.at("units").get<int64_t>();
    const auto& activation = config.contains("activation") ? config.at("activation") : nlohmann::json("linear");
    layer.activation = activation.is_string() ? activation.get<std::string>() : activation.dump();
    if (!is_supported_activation(layer.activation)) {
      errors.fail("layer " + layer.label() + ": activation " + layer.activation +
              " is not supported; use relu, softmax, linear, sigmoid or tanh");
    }
    layer.use_bias = config.value("use_bias", true);
  }
  return layer;
}

std::vector<ConfigLayer> parse_layers(const ConfigErrors& errors, const std::string& text) {
  std::vector<ConfigLayer> layers;
  try {
    const nlohmann::json model = nlohmann::json::parse(text);
    const std::string class_name = model.value("class_name", "");
    if (class_name != "Sequential") {
      errors.fail(std::string("a ") + (class_name == "Functional" || class_name == "Model" ? "functional model" : "model") +
              " (class_name " + model.value("class_name", nlohmann::json()).dump() +
              "), not Sequential; only Sequential models of Flatten and Dense layers are supported");
    }
    const nlohmann::json& config = model.at("config");
    const nlohmann::json& entries = config.is_array() ? config : config.at("layers");
    for (size_t i = 0; i < entries.size(); ++i) layers.push_back(parse_config_layer(errors, entries.at(i), i));
  } catch (const nlohmann::json::exception& e) {
    errors.fail(errors.where + ": not a Keras Sequential model config (" + e.what() + ")");
  }
  return layers;
}

void check_declared_input(const ConfigErrors& errors, const std::vector<ConfigLayer>& layers) {
  for (const ConfigLayer& layer : layers) {
    if (!layer.input_shape) continue;
    const auto& shape = *layer.input_shape;
    const std::vector<int64_t> side_side{kImageSide, kImageSide};
    const bool fits = shape == side_side || shape == std::vector<int64_t>{kImagePixels} ||
                      shape == std::vector<int64_t>{kImageSide, kImageSide, 1} ||
                      shape == std::vector<int64_t>{1, kImageSide, kImageSide};
    if (!fits) {
      std::string text = "(None";
      for (const int64_t dim : shape) text += ", " + (dim < 0 ? std::string("None") : std::to_string(dim));
      errors.fail("layer " + layer.label() + ": input shape " + text +
              ") is not a 28x28 image or 784 pixels, what an MNIST model takes");
    }
    return;  // the first declared shape is the model's input
  }
}

void check_last_layer(const ConfigErrors& errors, const std::vector<DenseLayerWeights>& layers,
                        const std::string& last_label) {
  const DenseLayerWeights& last = layers.back();
  if (last.units != kNumClasses) {
    errors.fail("layer " + last_label + ": " + std::to_string(last.units) +
            " units; the last layer must give the 10 digit classes");
  }
  if (last.activation != "softmax" && last.activation != "linear") {
    errors.fail("layer " + last_label + ": activation " + last.activation +
            " on the last layer; it must be softmax (probabilities) or linear (logits)");
  }
}

}  // namespace

std::vector<ConfigLayer> parse_sequential_config(const std::string& file_name, const std::string& where,
                                                 const std::string& text) {
  return parse_layers({file_name + ": ", where}, text);
}

void check_input_shape(const std::string& file_name, const std::vector<ConfigLayer>& layers) {
  check_declared_input({file_name + ": ", ""}, layers);
}

void check_output_layer(const std::string& file_name, const std::vector<DenseLayerWeights>& layers,
                        const std::string& last_label) {
  check_last_layer({file_name + ": ", ""}, layers, last_label);
}

}  // namespace mnist::keras_h5_detail
