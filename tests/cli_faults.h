// What the fault tests of the three command-line tools share: every kind of broken MNIST
// directory, made from links to the real files with one of them damaged.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli_expectations.h"
#include "synthetic_mnist.h"

namespace mnist::test {

// ---------------------------------------------------------------------------------------------
// Broken data

struct MnistPair {
  std::string images;
  std::string labels;
};
inline const MnistPair kTrainPair{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"};
inline const MnistPair kTestPair{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// A data directory of links to the real MNIST files in real_dir: LibTorch's reader takes only the
// full 60000/10000 sets, so the files a case leaves intact are the real ones, and the one it
// damages is replaced (never written through) by a small synthetic file.
inline void link_real_mnist(const std::filesystem::path& real_dir, const std::filesystem::path& data_dir) {
  std::filesystem::create_directories(data_dir);
  for (const auto& pair : {kTrainPair, kTestPair}) {
    for (const auto& name : {pair.images, pair.labels}) {
      std::filesystem::create_symlink(real_dir / name, data_dir / name);
    }
  }
}

struct DataCase {
  std::string name;
  std::function<void(const std::filesystem::path& data_dir)> damage;
  std::string subject;  // the path the message starts with, relative to the data directory
  std::string problem;
  bool unprivileged = false;  // run the program as an ordinary user: see command_for
};

// Every kind of broken data for a program that reads `pair`; `other` is a pair it reads too, which
// a few cases damage instead (mnist-train reads both splits; give `pair` twice for one split).
inline std::vector<DataCase> broken_data_cases(const MnistPair& pair, const MnistPair& other) {
  namespace fs = std::filesystem;
  const auto replace = [](const std::string& name, const std::string& bytes) {
    return [name, bytes](const fs::path& dir) { write_bytes(dir / name, bytes); };
  };
  const std::string images = pair.images;
  const auto replace_with_gzip = [images](const std::string& gzip) {
    return [images, gzip](const fs::path& dir) {
      fs::remove(dir / images);
      write_bytes(dir / (images + ".gz"), gzip);
    };
  };
  std::string bad_label = synthetic_labels(60).bytes();
  bad_label[8 + 7] = 12;
  IdxFile huge = synthetic_images(60);
  huge.dims[0] = uint32_t{1} << 31;
  const std::string gzip = gzip_bytes(synthetic_images(60).bytes());
  std::string corrupt_gzip = gzip;
  corrupt_gzip[10] = static_cast<char>(corrupt_gzip[10] | 0x06);  // deflate block type 3: reserved
  const std::string labels = pair.labels;
  const auto unreadable = [images, labels](const fs::path& dir) {
    write_bytes(dir / labels, synthetic_labels(60).bytes());
    fs::permissions(dir / labels, fs::perms::none);
    // The program runs as another user then: it must still reach the directory the data
    // directory is in, make its outputs there, and read the images that are checked before the
    // labels. Those are a copy, not a link: the real files may lie where that user cannot go
    // (a checkout in /root).
    write_bytes(dir / images, synthetic_images(60).bytes());
    fs::permissions(dir / images, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(dir.parent_path(), fs::perms::all);
  };

  return {
      {"MissingDirectory", [](const fs::path& dir) { fs::remove_all(dir); }, "", "data directory missing"},
      {"MissingFile", [other](const fs::path& dir) { fs::remove(dir / other.labels); }, other.labels,
       "missing (and no " + other.labels + ".gz beside it)"},
      {"EmptyFile", replace(pair.labels, ""), pair.labels, "empty (0 bytes)"},
      {"TruncatedFile", replace(pair.images, synthetic_images(60).bytes().substr(0, 5000)), pair.images,
       "header says 60 images, so expected 47056 bytes, but there are 5000 (truncated)"},
      {"WrongMagicNumber", replace(other.labels, synthetic_images(20).bytes()), other.labels,
       "wrong magic number 0x00000803, expected 0x00000801 for IDX labels (this is an IDX images file)"},
      {"ImagesNot28x28", replace(pair.images, synthetic_images(60, 32, 32).bytes()), pair.images,
       "images are 32x32, expected 28x28"},
      {"LabelOutOfRange", replace(pair.labels, bad_label), pair.labels, "label at index 7 is 12, expected 0..9"},
      {"CountsDisagree", replace(other.labels, synthetic_labels(9999).bytes()), other.labels,
       "holds 9999 labels but "},
      {"HeaderClaims2To31Images", replace(pair.images, huge.bytes()), pair.images,
       "header says 2147483648 images, so expected 1683627180048 bytes, but there are 47056 (truncated)"},
      {"DirectoryWhereAFileShouldBe",
       [images](const fs::path& dir) {
         fs::remove(dir / images);
         fs::create_directory(dir / images);
       },
       pair.images, "is a directory where a file was expected"},
      {"UnreadableFile", unreadable, pair.labels, "cannot be read (Permission denied)", /*unprivileged=*/true},
      {"CorruptGzip", replace_with_gzip(corrupt_gzip), pair.images + ".gz", "corrupt gzip data (invalid block type)"},
      {"TruncatedGzip", replace_with_gzip(gzip.substr(0, gzip.size() / 2)), pair.images + ".gz",
       "truncated gzip data"},
  };
}

// argv as the case needs it run. Root reads files whatever their permission bits, so a case about
// them runs the program as nobody (setpriv, from util-linux) when the tests run as root.
inline std::vector<std::string> command_for(const DataCase& data_case, const std::vector<std::string>& argv) {
  if (!data_case.unprivileged || ::geteuid() != 0) return argv;
  return std::vector<std::string>{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"} + argv;
}

// Runs the tool for a case: in this process, but as another user in a process of its own when
// the case needs that (command_for).
inline ChildResult run_data_case(const DataCase& data_case, const std::vector<std::string>& argv) {
  const std::vector<std::string> command = command_for(data_case, argv);
  return command == argv ? run_tool(argv) : run_command(command);
}

// Short test names in ctest's list: gtest would print the parameter's bytes.
inline void PrintTo(const DataCase& data_case, std::ostream* out) { *out << data_case.name; }

inline std::string data_case_name(const ::testing::TestParamInfo<DataCase>& info) { return info.param.name; }

}  // namespace mnist::test
