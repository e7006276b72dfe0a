// The ONNX export through the protobuf definitions; see onnx_export.h.
#include "export/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/mnist_shape.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

// IR version 7 is the first that carries opset 13; readers of older IR versions than they know
// refuse a file, so the oldest one that fits.
constexpr int64_t kIrVersion = 7;
constexpr const char* kInput = "pixels";
constexpr const char* kOutput = "probabilities";

const char* onnx_activation(const std::string& activation) {
  if (activation == "relu") return "Relu";
  if (activation == "tanh") return "Tanh";
  if (activation == "sigmoid") return "Sigmoid";
  if (activation == "softmax") return "Softmax";
  if (activation == "linear") return nullptr;
  throw std::invalid_argument("activation \"" + activation + "\" has no ONNX operator here");
}

void validate(const fs::path& path, const std::vector<DenseLayerWeights>& layers) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(path.string() + ": cannot write ONNX: " + what);
  };
  if (layers.empty()) fail("no Dense layers given");
  int64_t inputs = kImagePixels;
  for (const DenseLayerWeights& layer : layers) {
    if (layer.inputs != inputs || layer.units <= 0 ||
        layer.kernel.size() != static_cast<uint64_t>(layer.inputs) * static_cast<uint64_t>(layer.units) ||
        layer.bias.size() != static_cast<uint64_t>(layer.units)) {
      fail("the layers' shapes do not chain from the 784 pixels");
    }
    onnx_activation(layer.activation);
    inputs = layer.units;
  }
  if (inputs != kNumClasses || layers.back().activation != "softmax") fail("the last layer must be 10 units, softmax");
}

void set_float_type(onnx::ValueInfoProto& value, const std::string& name, const std::vector<int64_t>& fixed_dims) {
  value.set_name(name);
  onnx::TypeProto_Tensor* tensor = value.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param("N");  // any batch size
  for (const int64_t dim : fixed_dims) shape->add_dim()->set_dim_value(dim);
}

void add_initializer(onnx::GraphProto& graph, const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& values) {
  onnx::TensorProto* tensor = graph.add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t dim : dims) tensor->add_dims(dim);
  tensor->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

onnx::NodeProto& add_node(onnx::GraphProto& graph, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output) {
  onnx::NodeProto* node = graph.add_node();
  node->set_op_type(op);
  node->set_name(output);
  for (const std::string& input : inputs) node->add_input(input);
  node->add_output(output);
  return *node;
}

void set_int_attribute(onnx::NodeProto& node, const char* name, int64_t value) {
  onnx::AttributeProto* attribute = node.add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::INT);
  attribute->set_i(value);
}

onnx::GraphProto& build_graph(onnx::ModelProto& model, const std::vector<DenseLayerWeights>& layers) {
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("mnist_mlp");
  set_float_type(*graph.add_input(), kInput, {kImageSide, kImageSide});
  set_float_type(*graph.add_output(), kOutput, {kNumClasses});
  set_int_attribute(add_node(graph, "Flatten", {kInput}, "flat"), "axis", 1);
  std::string previous = "flat";
  for (size_t i = 0; i < layers.size(); ++i) {
    const DenseLayerWeights& layer = layers[i];
    const std::string name = "dense_" + std::to_string(i);
    // Stored (units, inputs) with transB = 1, the form OpenCV 4.6's importer takes (with transB = 0
    // it fails on the bias). The Keras form takes 0-255 pixels, this model [0,1]: the first kernel x 255.
    const float scale = i == 0 ? 255.0f : 1.0f;
    std::vector<float> weight(layer.kernel.size());
    for (int64_t in = 0; in < layer.inputs; ++in) {
      for (int64_t out = 0; out < layer.units; ++out) {
        weight[static_cast<size_t>(out * layer.inputs + in)] = layer.kernel[static_cast<size_t>(in * layer.units + out)] * scale;
      }
    }
    add_initializer(graph, name + "/weight", {layer.units, layer.inputs}, weight);
    add_initializer(graph, name + "/bias", {layer.units}, layer.bias);
    const bool last = i + 1 == layers.size();  // softmax (validate)
    const char* activation = onnx_activation(layer.activation);
    set_int_attribute(add_node(graph, "Gemm", {previous, name + "/weight", name + "/bias"}, name), "transB", 1);
    previous = name;
    if (activation == nullptr) continue;
    onnx::NodeProto& node = add_node(graph, activation, {name}, last ? kOutput : name + "/" + layer.activation);
    if (std::string(activation) == "Softmax") set_int_attribute(node, "axis", 1);
    previous = node.output(0);
  }
  return graph;
}

void add_metadata(onnx::ModelProto& model, const std::string& card_json) {
  if (card_json.empty()) return;
  const nlohmann::ordered_json card = nlohmann::ordered_json::parse(card_json, nullptr, /*allow_exceptions=*/false);
  if (!card.is_object()) return;
  for (const auto& [key, value] : card.items()) {
    onnx::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(key);
    // The card speaks for the TorchScript module, which takes more shapes than this graph.
    entry->set_value(key == "input" ? std::string("float32 [N,28,28] (\"pixels\"), pixels in [0,1]")
                     : value.is_string() ? value.get<std::string>()
                                         : value.dump());
  }
}

}  // namespace

void write_onnx(const fs::path& path, const std::vector<DenseLayerWeights>& layers, const std::string& card_json) {
  validate(path, layers);
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("mnist-cpp");
  model.set_doc_string("MNIST digit classifier: float pixels [N,28,28] in [0,1] (white digit on black) -> "
                       "[N,10] class probabilities; normalisation and temperature folded in");
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  build_graph(model, layers);
  add_metadata(model, card_json);
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw RuntimeError(path.string() + ": cannot serialise the ONNX model");
  write_file_atomically(path, bytes);
}

}  // namespace mnist
