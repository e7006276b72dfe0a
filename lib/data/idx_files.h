// Reading the MNIST IDX files (plain, or gzip as the original site distributes them) with every
// check done before the examples are used: with a reader that trusted every header (as
// LibTorch's own does), a truncated download or a wrong file would crash or silently misread.
// Every problem becomes one RuntimeError that names the file, says what is wrong and how to get
// good data. gzip files are inflated into memory, within a cap, and checked there.
// Not for: tensors; mnist_bytes_dataset.h puts the bytes read here into a torch::data dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mnist {

enum class MnistSplit { kTrain, kTest };

// File names of a split: "train-images-idx3-ubyte"/"train-labels-idx1-ubyte" or the t10k pair.
// "test" or "train", as the options and metrics.json spell a split.
std::string to_string(MnistSplit split);

std::string mnist_images_name(MnistSplit split);
std::string mnist_labels_name(MnistSplit split);

// Checks one plain IDX pair and returns the number of examples. Throws mnist::RuntimeError.
// Reads only the headers and the labels, whatever count a header claims.
int64_t validate_mnist_pair(const std::filesystem::path& images,
                            const std::filesystem::path& labels);

// Checks one IDX pair held in memory (whole files, headers included) and returns the number of
// examples; images_name and labels_name are the names messages use.
int64_t validate_idx_pair_bytes(std::string_view images, std::string_view labels,
                                const std::string& images_name, const std::string& labels_name);

// A buffer for `count` images of 28x28 bytes, which read_mnist_split fills.
using ImageBufferFor = std::function<uint8_t*(int64_t count)>;

// One split of data_dir, checked and read: each of the two files plain, or else its .gz. The
// image bytes (header stripped) go into the buffer images_for(count) gives, once the pair is
// known to be good; the labels (0..9, one byte each) are returned.
std::vector<uint8_t> read_mnist_split(const std::filesystem::path& data_dir, MnistSplit split,
                                      const ImageBufferFor& images_for);

// The decompressed content of a gzip file (concatenated members are one file), refusing
// corrupt or truncated data and more than max_bytes of output. Messages start with `name`.
std::string inflate_gzip(std::string_view compressed, uint64_t max_bytes, const std::string& name);

}  // namespace mnist
