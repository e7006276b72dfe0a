// Checking the MNIST IDX files (plain, or gzip as the original site distributes them) before
// they are read into tensors: with a reader that trusted every header (as LibTorch's own does),
// a truncated download or a wrong file would crash or silently misread. Every problem becomes one RuntimeError
// that names the file, says what is wrong and how to get good data.
// Not for: reading the examples into tensors; mnist_bytes_dataset.h does that.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace mnist {

enum class MnistSplit { kTrain, kTest };

// File names of a split: "train-images-idx3-ubyte"/"train-labels-idx1-ubyte" or the t10k pair.
std::string mnist_images_name(MnistSplit split);
std::string mnist_labels_name(MnistSplit split);

// Checks one IDX pair and returns the number of examples. Throws mnist::RuntimeError.
// Reads only fixed-size buffers, whatever count a header claims.
int64_t validate_mnist_pair(const std::filesystem::path& images,
                            const std::filesystem::path& labels);

// A directory where the split's plain, validated IDX files sit under their standard names.
// When data_dir has the plain files they are validated and used in place; otherwise, when it has
// the .gz files, they are decompressed into a private temporary directory, removed again by the
// destructor. A split with one file plain and the other gzip works too: the plain one is linked
// into the temporary directory beside the decompressed one.
class PreparedMnistDir {
 public:
  PreparedMnistDir(const std::filesystem::path& data_dir, MnistSplit split);
  ~PreparedMnistDir();
  PreparedMnistDir(const PreparedMnistDir&) = delete;
  PreparedMnistDir& operator=(const PreparedMnistDir&) = delete;
  PreparedMnistDir(PreparedMnistDir&& other) noexcept;
  PreparedMnistDir& operator=(PreparedMnistDir&& other) noexcept;

  const std::filesystem::path& root() const;
  int64_t count() const;

 private:
  void remove_temporary_dir() noexcept;

  std::filesystem::path root_;
  std::filesystem::path temporary_dir_;  // empty when the files are used in place
  int64_t count_ = 0;
};

}  // namespace mnist
