// The trained model as ONNX (mnist_mlp.onnx), for programs without LibTorch: OpenCV's dnn module,
// ONNX Runtime, inference servers. Written through the ONNX protobuf definitions (Debian's
// libonnx-dev), opset 13: Flatten, then Gemm and its activation per layer, Softmax last. Input
// "pixels": float [N,28,28] in [0,1] (N dynamic); output "probabilities": [N,10]. Normalisation
// and the temperature are folded into the weights; the model card's facts are metadata_props.
// Not for: reading ONNX (the tools do not take it), or other layer kinds.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "export/keras_h5.h"

namespace mnist {

// The opset written: Softmax's axis semantics of opset 13, which OpenCV 4.6's importer runs.
inline constexpr int kOnnxOpset = 13;

// `layers` are the Keras form of the model (to_keras_layers: raw 0-255 pixels in, softmax last);
// the ONNX model takes pixels in [0,1], so the first kernel is scaled by 255. `card_json` is the
// model card; each of its top-level keys becomes a metadata property (strings as they are, the
// rest as JSON). Atomic. Throws std::invalid_argument for layers that do not chain from 784 to 10
// or an activation ONNX is not given here; RuntimeError when writing fails.
void write_onnx(const std::filesystem::path& path, const std::vector<DenseLayerWeights>& layers,
                const std::string& card_json);

}  // namespace mnist
