// classify_digit_onnx: runs the MNIST model exported by mnist-train as ONNX, using nothing but
// OpenCV's dnn module.
//
//   classify_digit_onnx MODEL.onnx IMAGES_IDX [INDEX]
//   classify_digit_onnx MODEL.onnx IMAGES_IDX --all PROBABILITIES.f32
//
// MODEL.onnx is mnist_mlp.onnx. Its input "pixels" is float [N,28,28], pixels in [0, 1] (white
// digit on black, as MNIST); its output "probabilities" is [N,10]. Normalisation and calibration
// are inside. IMAGES_IDX is an MNIST image file such as t10k-images-idx3-ubyte. With INDEX it
// classifies that image (0 by default); with --all it runs every image, in batches, and writes
// the probabilities as float32 [count, 10].
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

struct MnistImages {
  int64_t count = 0;
  std::vector<uint8_t> pixels;  // count x 28 x 28 bytes, 0 = black, 255 = white
};

MnistImages read_mnist_images(const std::string& path) {
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
  MnistImages images;
  images.count = field(4);
  images.pixels.resize(static_cast<size_t>(images.count) * 28 * 28);
  if (!in.read(reinterpret_cast<char*>(images.pixels.data()), static_cast<std::streamsize>(images.pixels.size()))) {
    throw std::runtime_error(path + ": truncated");
  }
  return images;
}

// Images [first, first + count) as a float blob [count, 28, 28] in [0, 1]; returns [count, 10].
cv::Mat classify(cv::dnn::Net& net, const MnistImages& images, int64_t first, int count) {
  const int shape[] = {count, 28, 28};
  cv::Mat input(3, shape, CV_32F);
  const uint8_t* bytes = images.pixels.data() + first * 28 * 28;
  float* values = input.ptr<float>();
  for (int64_t i = 0; i < int64_t{count} * 28 * 28; ++i) values[i] = bytes[i] / 255.0f;
  net.setInput(input, "pixels");
  return net.forward("probabilities").clone();
}

int main(int argc, char** argv) {
  const bool all = argc == 5 && std::string(argv[3]) == "--all";
  if (argc < 3 || argc > 5 || (argc == 5 && !all)) {
    std::cerr << "usage: classify_digit_onnx MODEL.onnx IMAGES_IDX [INDEX | --all PROBABILITIES.f32]\n";
    return 2;
  }
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(argv[1]);
    const MnistImages images = read_mnist_images(argv[2]);
    if (all) {
      std::ofstream out(argv[4], std::ios::binary);
      constexpr int kBatch = 1000;
      for (int64_t first = 0; first < images.count; first += kBatch) {
        const int count = static_cast<int>(std::min<int64_t>(kBatch, images.count - first));
        const cv::Mat probabilities = classify(net, images, first, count);
        out.write(reinterpret_cast<const char*>(probabilities.ptr<float>()),
                  static_cast<std::streamsize>(probabilities.total() * sizeof(float)));
      }
      if (!out.flush()) throw std::runtime_error(std::string(argv[4]) + ": cannot write");
      std::cout << "wrote the probabilities of " << images.count << " images to " << argv[4] << "\n";
      return 0;
    }
    const int64_t index = argc == 4 ? std::stoll(argv[3]) : 0;
    if (index < 0 || index >= images.count) throw std::runtime_error("no image " + std::to_string(index));
    const cv::Mat probabilities = classify(net, images, index, 1);
    const float* p = probabilities.ptr<float>();
    const int digit = static_cast<int>(std::max_element(p, p + 10) - p);
    std::cout << "image " << index << ": digit " << digit << " (probability " << p[digit] << ")\n";
    for (int d = 0; d < 10; ++d) std::cout << "  " << d << ": " << p[d] << "\n";
    return 0;
  } catch (const cv::Exception& e) {
    std::cerr << "classify_digit_onnx: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "classify_digit_onnx: " << e.what() << "\n";
  }
  return 1;
}
