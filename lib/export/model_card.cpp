// The model card; see model_card.h.
#include "export/model_card.h"

#include <nlohmann/json.hpp>

#include "core/mnist_shape.h"
#include "runtime/runtime_info.h"

namespace mnist {
using nlohmann::json;

namespace {

json layers_card(const ModelSpec& spec) {
  json layers = json::array();
  for (size_t i = 0; i < spec.hidden.size(); ++i) {
    layers.push_back({{"type", "dense"}, {"units", spec.hidden[i]}, {"activation", hidden_activation(spec, i)}});
  }
  layers.push_back({{"type", "dense"}, {"units", kNumClasses}, {"activation", "softmax"}});
  return layers;
}

}  // namespace

json model_card(const std::string& name, const ModelSpec& spec, bool calibrated) {
  return {
      {"name", name},
      {"architecture", describe_architecture(spec)},
      {"layers", layers_card(spec)},
      {"dropout", spec.dropout},
      {"input", "float32 [N,28,28], [N,1,28,28] or [N,784], pixels in [0,1]"},
      {"output", calibrated ? "float32 [N,10] class probabilities (softmax of the logits divided by the temperature)"
                            : "float32 [N,10] class probabilities (softmax)"},
      {"normalization", {{"mean", spec.normalization.mean}, {"std", spec.normalization.std},
                         {"applied", "inside the module: (x - mean) / std"}}},
      {"libraries", library_versions()},
  };
}

std::string converted_model_card_json(const std::string& name, const ModelSpec& spec,
                                      const std::vector<std::pair<std::string, std::string>>& converted_from) {
  json card = model_card(name, spec, /*calibrated=*/false);
  json source = json::object();
  for (const auto& [key, value] : converted_from) source[key] = value;
  card["converted_from"] = source;
  return card.dump(2);
}

}  // namespace mnist
