// Writes MNIST test image INDEX of DATA_DIR as a 28x28 PNG and prints its label: the digit file
// the browser test drops on the page.
//   mnist_digit_png DATA_DIR INDEX OUT.png
#include <iostream>
#include <string>

#include "data/mnist_dataset.h"
#include "image/image_preprocess.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: mnist_digit_png DATA_DIR INDEX OUT.png\n";
    return 2;
  }
  try {
    const int index = std::stoi(argv[2]);
    const auto test = mnist::load_mnist(argv[1], mnist::MnistSplit::kTest, index + 1);
    const auto pixels = test.images[index].reshape({-1}).contiguous();
    mnist::write_digit_png(argv[3], std::vector<float>(pixels.data_ptr<float>(), pixels.data_ptr<float>() + pixels.numel()));
    std::cout << test.labels[index].item<int64_t>() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mnist_digit_png: " << e.what() << "\n";
    return 1;
  }
}
