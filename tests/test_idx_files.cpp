// MNIST IDX checking, .gz inflation and reading, on small synthetic files: every way a file can
// be wrong must give one line naming the file, the problem and how to get good data; nothing
// is ever written to disk on the way (TMPDIR is watched).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "core/errors.h"
#include "data/idx_files.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::MnistSplit;
using mnist::test::read_file;

namespace {

constexpr const char* kHint =
    "Run scripts/setup.sh to fetch MNIST, or point --data-dir at a directory with the MNIST "
    "files.";
constexpr uint32_t kImageMagic = 0x00000803;
constexpr uint32_t kLabelMagic = 0x00000801;
constexpr uint32_t kCount = 5;
constexpr std::size_t kImagesFileBytes = 16 + kCount * 784;  // 3936

void put_u32(std::string& bytes, std::size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    bytes[offset + static_cast<std::size_t>(i)] = static_cast<char>((value >> (24 - 8 * i)) & 0xff);
  }
}

std::string idx_images(uint32_t count, uint32_t rows = 28, uint32_t cols = 28) {
  std::string bytes(16 + std::size_t{count} * rows * cols, '\0');
  put_u32(bytes, 0, kImageMagic);
  put_u32(bytes, 4, count);
  put_u32(bytes, 8, rows);
  put_u32(bytes, 12, cols);
  for (std::size_t i = 16; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 31) % 251);
  return bytes;
}

std::string idx_labels(uint32_t count) {
  std::string bytes(8 + std::size_t{count}, '\0');
  put_u32(bytes, 0, kLabelMagic);
  put_u32(bytes, 4, count);
  for (uint32_t i = 0; i < count; ++i) bytes[8 + i] = static_cast<char>(i % 10);
  return bytes;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string gzip(const std::string& bytes) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, /*windowBits=*/15 + 16,
                         /*memLevel=*/8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string compressed(deflateBound(&stream, static_cast<uLong>(bytes.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(compressed.data());
  stream.avail_out = static_cast<uInt>(compressed.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  compressed.resize(stream.total_out);
  deflateEnd(&stream);
  return compressed;
}

// The message of the RuntimeError that action throws; empty (and a test failure) when none.
void expect_message(const std::string& message, const fs::path& path, const std::string& phrase) {
  EXPECT_EQ(message.rfind(path.string() + ":", 0), 0u)
      << "does not start with the path: " << message;
  EXPECT_NE(message.find(phrase), std::string::npos) << "lacks '" << phrase << "': " << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  const std::string hint = kHint;
  EXPECT_TRUE(message.size() >= hint.size() &&
              message.compare(message.size() - hint.size(), hint.size(), hint) == 0)
      << "does not end with how to get good data: " << message;
}

// Every test gets its own data directory, and TMPDIR pointing at a directory of its own, so that
// a temporary file made on the way would be seen.
class MnistFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("TMPDIR")) old_tmpdir_ = old;
    ::setenv("TMPDIR", scratch_.path().c_str(), /*overwrite=*/1);
  }
  void TearDown() override {
    if (old_tmpdir_) {
      ::setenv("TMPDIR", old_tmpdir_->c_str(), /*overwrite=*/1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }

  const fs::path& data_dir() const { return data_.path(); }
  fs::path images() const { return data_dir() / "train-images-idx3-ubyte"; }
  fs::path labels() const { return data_dir() / "train-labels-idx1-ubyte"; }
  static fs::path gz(const fs::path& plain) { return plain.string() + ".gz"; }

  void write_good_plain() {
    write_file(images(), idx_images(kCount));
    write_file(labels(), idx_labels(kCount));
  }
  void write_good_gzip() {
    write_file(gz(images()), gzip(idx_images(kCount)));
    write_file(gz(labels()), gzip(idx_labels(kCount)));
  }
  // What read_mnist_split read: the image bytes (headers stripped) and the labels.
  struct Read {
    std::string images;
    std::string labels;
  };
  Read read_split(MnistSplit split = MnistSplit::kTrain) const { return read_split_of(data_dir(), split); }
  static Read read_split_of(const fs::path& dir, MnistSplit split) {
    Read read;
    const std::vector<uint8_t> labels = mnist::read_mnist_split(dir, split, [&](int64_t count) {
      read.images.assign(static_cast<std::size_t>(count) * 784, '\x7f');
      return reinterpret_cast<uint8_t*>(read.images.data());
    });
    read.labels.assign(labels.begin(), labels.end());
    return read;
  }
  std::string prepare_error() {
    return mnist::test::error_of<mnist::RuntimeError>([&] { read_split(); });
  }
  int temporary_dirs_left() const { return mnist::test::count_files(scratch_.path()); }

  mnist::test::TempDir data_;
  mnist::test::TempDir scratch_;
  std::optional<std::string> old_tmpdir_;
};

// Root reads every file whatever its permission bits; for as long as this lives, the process
// acts as an unprivileged user so that the bits apply.
class ActAsUnprivilegedUser {
 public:
  ActAsUnprivilegedUser() {
    if (::geteuid() == 0 && ::seteuid(kNobody) != 0) ADD_FAILURE() << "seteuid failed";
  }
  ~ActAsUnprivilegedUser() {
    if (::geteuid() == kNobody && ::getuid() == 0 && ::seteuid(0) != 0) std::abort();
  }
  ActAsUnprivilegedUser(const ActAsUnprivilegedUser&) = delete;
  ActAsUnprivilegedUser& operator=(const ActAsUnprivilegedUser&) = delete;

 private:
  static constexpr uid_t kNobody = 65534;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Good data

TEST_F(MnistFiles, SplitNamesAreTheOnesLibTorchReads) {
  EXPECT_EQ(mnist::mnist_images_name(MnistSplit::kTrain), "train-images-idx3-ubyte");
  EXPECT_EQ(mnist::mnist_labels_name(MnistSplit::kTrain), "train-labels-idx1-ubyte");
  EXPECT_EQ(mnist::mnist_images_name(MnistSplit::kTest), "t10k-images-idx3-ubyte");
  EXPECT_EQ(mnist::mnist_labels_name(MnistSplit::kTest), "t10k-labels-idx1-ubyte");
}

TEST_F(MnistFiles, GoodPlainPairIsReadInPlace) {
  write_good_plain();
  EXPECT_EQ(mnist::validate_mnist_pair(images(), labels()), kCount);
  const Read read = read_split();
  EXPECT_EQ(read.images, idx_images(kCount).substr(16));
  EXPECT_EQ(read.labels, idx_labels(kCount).substr(8));
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, TestSplitUsesTheT10kFiles) {
  write_file(data_dir() / "t10k-images-idx3-ubyte", idx_images(7));
  write_file(data_dir() / "t10k-labels-idx1-ubyte.gz", gzip(idx_labels(7)));
  EXPECT_EQ(read_split(MnistSplit::kTest).labels, idx_labels(7).substr(8));
  expect_message(prepare_error(), images(), "missing");
}

TEST_F(MnistFiles, GoodGzipPairIsInflatedInMemoryWithNothingWrittenToDisk) {
  write_good_gzip();
  const Read read = read_split();
  EXPECT_EQ(read.images, idx_images(kCount).substr(16));
  EXPECT_EQ(read.labels, idx_labels(kCount).substr(8));
  EXPECT_EQ(temporary_dirs_left(), 0);
  EXPECT_EQ(mnist::test::count_files(data_dir()), 2) << "the .gz files must stay, alone";
}

TEST_F(MnistFiles, ConcatenatedGzipMembersAreOneFile) {
  const std::string image_bytes = idx_images(kCount);
  write_file(gz(images()), gzip(image_bytes.substr(0, 1000)) + gzip(image_bytes.substr(1000)));
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  EXPECT_EQ(read_split().images, image_bytes.substr(16));
}

TEST_F(MnistFiles, PlainFilesWinOverGzipOnes) {
  write_good_plain();
  write_file(gz(images()), "not even gzip");
  EXPECT_EQ(read_split().images, idx_images(kCount).substr(16));
}

TEST_F(MnistFiles, PlainImagesWithGzipLabelsWorkAndLeaveThePlainFileAlone) {
  write_file(images(), idx_images(kCount));
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  const Read read = read_split();
  EXPECT_EQ(read.images, idx_images(kCount).substr(16));
  EXPECT_EQ(read.labels, idx_labels(kCount).substr(8));
  EXPECT_EQ(read_file(images()), idx_images(kCount));
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, AnIdxPairInMemoryIsCheckedLikeFiles) {
  EXPECT_EQ(mnist::validate_idx_pair_bytes(idx_images(kCount), idx_labels(kCount), "images", "labels"), kCount);
  std::string bad_label = idx_labels(kCount);
  bad_label[8 + 3] = 10;
  EXPECT_EQ(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::validate_idx_pair_bytes(idx_images(kCount), bad_label, "images", "labels"); }),
            "labels: label at index 3 is 10, expected 0..9. " + std::string(kHint));
  EXPECT_EQ(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::validate_idx_pair_bytes(idx_images(kCount), idx_labels(kCount + 1), "images", "labels"); }),
            "labels: holds 6 labels but images holds 5 images; both must come from the same MNIST split. " +
                std::string(kHint));
}

TEST_F(MnistFiles, GzipInMemoryIsInflatedWithinItsCap) {
  const std::string bytes = idx_images(kCount);
  EXPECT_EQ(mnist::inflate_gzip(gzip(bytes), bytes.size(), "x.gz"), bytes);
  EXPECT_EQ(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::inflate_gzip(gzip(bytes), bytes.size() - 1, "x.gz"); }),
            "x.gz: decompresses to more than " + std::to_string(bytes.size() - 1) + " bytes");
  EXPECT_EQ(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::inflate_gzip(gzip(bytes).substr(0, 40), 1 << 20, "x.gz"); }),
            "x.gz: truncated gzip data (the file ends mid-stream)");
}

// ---------------------------------------------------------------------------------------------
// Bad directories and files

TEST_F(MnistFiles, MissingDataDir) {
  const fs::path missing = data_dir() / "nowhere";
  expect_message(mnist::test::error_of<mnist::RuntimeError>([&] { read_split_of(missing, MnistSplit::kTrain); }),
                 missing, "data directory missing");
}

TEST_F(MnistFiles, DataDirThatIsAFile) {
  write_file(images(), idx_images(kCount));
  expect_message(mnist::test::error_of<mnist::RuntimeError>([&] { read_split_of(images(), MnistSplit::kTrain); }),
                 images(), "not a directory");
}

TEST_F(MnistFiles, MissingFileNamesThePlainPath) {
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(), "missing");
  expect_message(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::validate_mnist_pair(images(), labels()); }), images(),
                 "missing");
}

TEST_F(MnistFiles, FileThatIsADirectory) {
  fs::create_directory(images());
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(), "is a directory");
}

TEST_F(MnistFiles, UnreadableFile) {
  write_good_plain();
  fs::permissions(images(), fs::perms::none);
  fs::permissions(data_dir(), fs::perms::owner_all | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read |
                                  fs::perms::others_exec);
  std::string message;
  {
    ActAsUnprivilegedUser unprivileged;
    message = prepare_error();
  }
  expect_message(message, images(), "cannot be read (Permission denied)");
}

TEST_F(MnistFiles, EmptyFile) {
  write_file(images(), "");
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(), "empty (0 bytes)");
}

TEST_F(MnistFiles, ShorterThanItsHeader) {
  write_file(images(), idx_images(kCount).substr(0, 10));
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(), "only 10 bytes, shorter than the 16-byte header");
  write_file(images(), idx_images(kCount));
  write_file(labels(), idx_labels(kCount).substr(0, 7));
  expect_message(prepare_error(), labels(), "only 7 bytes, shorter than the 8-byte header");
}

TEST_F(MnistFiles, SwappedFilesHaveTheWrongMagic) {
  write_good_plain();
  expect_message(mnist::test::error_of<mnist::RuntimeError>([&] { mnist::validate_mnist_pair(labels(), images()); }), labels(),
                 "wrong magic number 0x00000801, expected 0x00000803 for IDX images (this is an "
                 "IDX labels file)");
}

TEST_F(MnistFiles, GzipDataUnderThePlainNameIsRecognised) {
  write_file(images(), gzip(idx_images(kCount)));
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(), "this is gzip data");
}

TEST_F(MnistFiles, ImagesThatAreNot28x28) {
  write_file(images(), idx_images(kCount, 28, 27));
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(), "images are 28x27, expected 28x28");
}

TEST_F(MnistFiles, TruncatedImages) {
  write_file(images(), idx_images(kCount).substr(0, kImagesFileBytes - 100));
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(),
                 "header says 5 images, so expected 3936 bytes, but there are 3836 (truncated)");
}

TEST_F(MnistFiles, LabelsWithTrailingBytes) {
  write_file(images(), idx_images(kCount));
  write_file(labels(), idx_labels(kCount) + "xyz");
  expect_message(prepare_error(), labels(),
                 "header says 5 labels, so expected 13 bytes, but there are 16 (trailing bytes)");
}

TEST_F(MnistFiles, HeaderClaiming2To31ExamplesFailsOnTheSizeCheck) {
  std::string image_bytes = idx_images(kCount);
  put_u32(image_bytes, 4, 0x80000000u);
  write_file(images(), image_bytes);
  write_file(labels(), idx_labels(kCount));
  expect_message(prepare_error(), images(),
                 "header says 2147483648 images, so expected 1683627180048 bytes");

  std::string label_bytes = idx_labels(kCount);
  put_u32(label_bytes, 4, 0x80000000u);
  write_file(images(), idx_images(kCount));
  write_file(labels(), label_bytes);
  expect_message(prepare_error(), labels(),
                 "header says 2147483648 labels, so expected 2147483656 bytes");
}

TEST_F(MnistFiles, EmptyPairHoldsNoExamples) {
  write_file(images(), idx_images(0));
  write_file(labels(), idx_labels(0));
  expect_message(prepare_error(), images(), "holds no images");
}

TEST_F(MnistFiles, CountsThatDisagree) {
  write_file(images(), idx_images(kCount));
  write_file(labels(), idx_labels(kCount + 1));
  expect_message(prepare_error(), labels(),
                 "holds 6 labels but " + images().string() + " holds 5 images");
}

TEST_F(MnistFiles, LabelOutsideZeroToNine) {
  std::string label_bytes = idx_labels(kCount);
  label_bytes[8 + 3] = 12;
  write_file(images(), idx_images(kCount));
  write_file(labels(), label_bytes);
  expect_message(prepare_error(), labels(), "label at index 3 is 12, expected 0..9");
}

TEST_F(MnistFiles, BadLabelBeyondTheFirstReadChunkIsFound) {
  constexpr uint32_t kMany = 70000;  // labels are scanned in 64 KiB chunks
  std::string image_header = idx_images(0);
  put_u32(image_header, 4, kMany);
  write_file(images(), image_header);
  fs::resize_file(images(), 16 + uint64_t{kMany} * 784);  // sparse: pixels are never read
  std::string label_bytes = idx_labels(kMany);
  label_bytes[8 + 69999] = static_cast<char>(255);
  write_file(labels(), label_bytes);
  expect_message(prepare_error(), labels(), "label at index 69999 is 255, expected 0..9");
}

// ---------------------------------------------------------------------------------------------
// Bad gzip files: cleaned up, and named by their .gz path

TEST_F(MnistFiles, CorruptGzipChecksum) {
  std::string compressed = gzip(idx_images(kCount));
  compressed[compressed.size() - 8] = static_cast<char>(compressed[compressed.size() - 8] ^ 0xff);
  write_file(gz(images()), compressed);
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()), "corrupt gzip data (incorrect data check)");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, CorruptGzipStream) {
  std::string compressed = gzip(idx_images(kCount));
  for (std::size_t i = 20; i < 40; ++i) compressed[i] = static_cast<char>(0xff);
  write_file(gz(images()), compressed);
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()), "corrupt");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, GzipNameOnSomethingElse) {
  write_file(gz(images()), "plain text, not gzip");
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()), "corrupt gzip data (incorrect header check)");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, TruncatedGzip) {
  const std::string compressed = gzip(idx_labels(kCount));
  write_file(gz(images()), gzip(idx_images(kCount)));
  write_file(gz(labels()), compressed.substr(0, compressed.size() / 2));
  expect_message(prepare_error(), gz(labels()), "truncated gzip data");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, EmptyGzip) {
  write_file(gz(images()), "");
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()), "empty (0 bytes)");
}

TEST_F(MnistFiles, GzipDirectory) {
  fs::create_directory(gz(images()));
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()), "is a directory");
}

TEST_F(MnistFiles, GzipThatInflatesPastItsHeaderStopsThere) {
  std::string image_bytes = idx_images(200);
  put_u32(image_bytes, 4, kCount);
  write_file(gz(images()), gzip(image_bytes));
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()),
                 "decompresses to more than the 3936 bytes its header announces");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, GzipWithLyingHugeCountFailsOnTheSizeCheck) {
  std::string image_bytes = idx_images(kCount);
  put_u32(image_bytes, 4, 0x80000000u);
  write_file(gz(images()), gzip(image_bytes));
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), gz(images()),
                 "decompressed content: header says 2147483648 images, so expected "
                 "1683627180048 bytes");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, BadContentInsideGzipNamesTheGzipFile) {
  std::string label_bytes = idx_labels(kCount);
  label_bytes[8 + 4] = 10;
  write_file(gz(images()), gzip(idx_images(kCount)));
  write_file(gz(labels()), gzip(label_bytes));
  expect_message(prepare_error(), gz(labels()), "decompressed content: label at index 4 is 10");
  EXPECT_EQ(temporary_dirs_left(), 0);
}

TEST_F(MnistFiles, BadPlainFileBesideGzipIsNamedAndCleanedUp) {
  write_file(images(), idx_images(kCount, 28, 28).substr(0, 100));
  write_file(gz(labels()), gzip(idx_labels(kCount)));
  expect_message(prepare_error(), images(), "(truncated)");
  EXPECT_EQ(temporary_dirs_left(), 0);
  EXPECT_TRUE(fs::exists(images()));
}
