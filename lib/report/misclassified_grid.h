// A picture of the images a classifier got wrong, each captioned "true -> predicted (probability)"
// with its index in the evaluated split, so a user can see what the mistakes look like.
// Not for: choosing which images to show (report/model_evaluation.h picks the most confident mistakes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mnist {

struct MisclassifiedExample {
  int64_t index = 0;  // position in the evaluated split
  int64_t truth = 0;
  int64_t predicted = 0;
  double probability = 0;     // the model's probability for `predicted`
  std::vector<float> pixels;  // square image, row-major, values in [0, 1]
};

// PNG bytes of the grid (white digits on black, as MNIST stores them, enlarged without blur).
// An empty list gives a picture saying there was nothing to show. Throws std::invalid_argument
// when an example's pixels do not form a square image.
std::vector<unsigned char> render_misclassified_grid(const std::vector<MisclassifiedExample>& examples,
                                                     const std::string& title);

void write_misclassified_grid(const std::filesystem::path& path,
                              const std::vector<MisclassifiedExample>& examples,
                              const std::string& title);

}  // namespace mnist
