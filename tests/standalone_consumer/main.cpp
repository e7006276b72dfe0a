// classify_digit: runs the MNIST model exported by mnist-train, using nothing but LibTorch.
//
//   classify_digit MODEL.pt IMAGES_IDX [INDEX]
//
// MODEL.pt is mnist_mlp.pt, a TorchScript archive. Its forward takes float pixels in [0, 1]
// (white digit on black, 28x28, as MNIST) shaped [N,28,28], [N,1,28,28] or [N,784], and returns
// [N,10] class probabilities; the input normalisation happens inside the model. A JSON model
// card travels in the archive as the extra file "model_card.json".
// IMAGES_IDX is an MNIST image file such as t10k-images-idx3-ubyte; INDEX picks the image (0).
#include <torch/script.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

// Image `index` of an MNIST IDX file: 28x28 bytes, 0 = black, 255 = white.
std::vector<uint8_t> read_mnist_image(const std::string& path, int64_t index) {
  std::ifstream in(path, std::ios::binary);
  uint8_t header[16];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) {
    throw std::runtime_error(path + ": cannot read an IDX header");
  }
  const auto field = [&](int at) {
    return int64_t{header[at]} << 24 | header[at + 1] << 16 | header[at + 2] << 8 | header[at + 3];
  };
  if (field(0) != 0x803 || field(8) != 28 || field(12) != 28) {
    throw std::runtime_error(path + ": not an MNIST image file");
  }
  if (index < 0 || index >= field(4)) {
    throw std::runtime_error(path + " holds " + std::to_string(field(4)) + " images; no index " +
                             std::to_string(index));
  }
  std::vector<uint8_t> pixels(28 * 28);
  in.seekg(16 + index * 28 * 28);
  if (!in.read(reinterpret_cast<char*>(pixels.data()), 28 * 28)) {
    throw std::runtime_error(path + ": truncated");
  }
  return pixels;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: classify_digit MODEL.pt IMAGES_IDX [INDEX]\n";
    return 2;
  }
  try {
    // Load the model; the model card is read from the same archive in the same call.
    torch::jit::ExtraFilesMap extra_files{{"model_card.json", ""}};
    torch::jit::Module model = torch::jit::load(argv[1], torch::kCPU, extra_files);
    model.eval();
    std::cout << "model card: " << extra_files["model_card.json"] << "\n";

    // One 28x28 image as a float tensor [1, 28, 28] with pixels in [0, 1].
    const int64_t index = argc == 4 ? std::stoll(argv[3]) : 0;
    std::vector<uint8_t> pixels = read_mnist_image(argv[2], index);
    torch::Tensor input =
        torch::from_blob(pixels.data(), {1, 28, 28}, torch::kUInt8).to(torch::kFloat32) / 255.0;

    // Inference: no autograd bookkeeping.
    c10::InferenceMode inference;
    torch::Tensor probabilities = model.forward({input}).toTensor()[0];
    const int64_t digit = probabilities.argmax().item<int64_t>();
    std::cout << "image " << index << ": digit " << digit << " (probability "
              << probabilities[digit].item<float>() << ")\n";
    for (int64_t d = 0; d < 10; ++d) {
      std::cout << "  " << d << ": " << probabilities[d].item<float>() << "\n";
    }
    return 0;
  } catch (const c10::Error& e) {
    std::cerr << "classify_digit: " << e.what_without_backtrace() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "classify_digit: " << e.what() << "\n";
  }
  return 1;
}
