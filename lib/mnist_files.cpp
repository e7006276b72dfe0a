// IDX validation and gzip preparation before the examples are read; see mnist_files.h.
//
// Design: nothing is ever allocated or read from a size a header claims. Files are checked against
// their size on disk first, labels are scanned in fixed-size chunks, and gzip input is inflated
// chunk by chunk with a cap on the output (what the header announces, and never more than
// kMaxDecompressedBytes), so a lying header or a gzip bomb cannot exhaust memory or disk.
#include "mnist_files.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include "errors.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

constexpr const char* kGetDataHint =
    "Run scripts/setup.sh to fetch MNIST, or point --data-dir at a directory with the MNIST "
    "files.";
constexpr const char* kTemporarySpaceHint =
    "Set TMPDIR to a writable directory with space for MNIST (about 55 MB), or decompress the "
    ".gz files in the data directory.";
constexpr uint32_t kImageRows = 28;
constexpr uint32_t kImageCols = 28;
constexpr unsigned kNumClasses = 10;
constexpr std::size_t kChunkBytes = 64 * 1024;
// Far above the largest MNIST file (47,040,016 bytes), far below a disk-filling gzip bomb.
constexpr uint64_t kMaxDecompressedBytes = uint64_t{256} * 1024 * 1024;
constexpr std::size_t kMaxHeaderBytes = 16;

// What tells the two IDX file kinds of MNIST apart.
struct IdxKind {
  const char* noun;
  uint32_t magic;
  std::size_t header_bytes;
  uint64_t example_bytes;
  bool has_image_dims;
};
constexpr IdxKind kImages{"images", 0x00000803, 16, uint64_t{kImageRows} * kImageCols, true};
constexpr IdxKind kLabels{"labels", 0x00000801, 8, 1, false};

[[noreturn]] void fail(const std::string& shown, const std::string& problem) {
  throw RuntimeError(shown + ": " + problem + ". " + kGetDataHint);
}

uint32_t read_big_endian_u32(const unsigned char* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(value));
  return text;
}

// The usual ways to end up with the wrong magic number deserve a word on the cause.
std::string magic_hint(uint32_t magic) {
  if ((magic >> 16) == 0x1f8b) return " (this is gzip data: add .gz to its name or decompress it)";
  if (magic == kImages.magic) return " (this is an IDX images file)";
  if (magic == kLabels.magic) return " (this is an IDX labels file)";
  return "";
}

// ---------------------------------------------------------------------------------------------
// Checking files

// Whether something sits at path, so that a plain file wins over its .gz. A path that cannot
// even be inspected counts as present: validating it then reports why it is unusable.
bool present(const fs::path& path) {
  std::error_code ec;
  return fs::status(path, ec).type() != fs::file_type::not_found;
}

void require_regular_file(const fs::path& path, const std::string& shown) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) fail(shown, "missing");
  if (ec) fail(shown, "cannot be read (" + ec.message() + ")");
  if (fs::is_directory(status)) fail(shown, "is a directory where a file was expected");
  if (!fs::is_regular_file(status)) fail(shown, "is not a regular file");
}

std::ifstream open_for_reading(const fs::path& path, const std::string& shown) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(shown, std::string("cannot be read (") + std::strerror(errno) + ")");
  return in;
}

uint64_t size_on_disk(const fs::path& path, const std::string& shown) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) fail(shown, "cannot be read (" + ec.message() + ")");
  return size;
}

// The size a complete file with this header has, when the header is one we accept; nullopt for
// any other header, whose precise problem validate_idx_file reports.
std::optional<uint64_t> announced_size(const unsigned char* header, const IdxKind& kind) {
  if (read_big_endian_u32(header) != kind.magic) return std::nullopt;
  if (kind.has_image_dims && (read_big_endian_u32(header + 8) != kImageRows ||
                              read_big_endian_u32(header + 12) != kImageCols)) {
    return std::nullopt;
  }
  return kind.header_bytes + uint64_t{read_big_endian_u32(header + 4)} * kind.example_bytes;
}

void check_labels(std::ifstream& in, const std::string& shown, uint32_t count) {
  std::vector<unsigned char> chunk(kChunkBytes);
  uint64_t index = 0;
  while (index < count) {
    const std::size_t wanted =
        static_cast<std::size_t>(std::min<uint64_t>(kChunkBytes, count - index));
    if (!in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(wanted))) {
      fail(shown, "read failed at label " + std::to_string(index));
    }
    for (std::size_t i = 0; i < wanted; ++i) {
      if (chunk[i] >= kNumClasses) {
        fail(shown, "label at index " + std::to_string(index + i) + " is " +
                        std::to_string(chunk[i]) + ", expected 0..9");
      }
    }
    index += wanted;
  }
}

// Returns the number of examples the file holds. shown is the name used in messages.
uint32_t validate_idx_file(const fs::path& path, const std::string& shown, const IdxKind& kind) {
  require_regular_file(path, shown);
  std::ifstream in = open_for_reading(path, shown);
  const uint64_t actual_bytes = size_on_disk(path, shown);
  if (actual_bytes == 0) fail(shown, "empty (0 bytes)");
  // The magic number goes first: it tells a wrong file (often a short one) from a truncated one.
  std::array<unsigned char, kMaxHeaderBytes> header{};
  const std::size_t header_have =
      static_cast<std::size_t>(std::min<uint64_t>(actual_bytes, kind.header_bytes));
  if (!in.read(reinterpret_cast<char*>(header.data()),
               static_cast<std::streamsize>(header_have))) {
    fail(shown, "cannot read the header");
  }
  const uint32_t magic = read_big_endian_u32(&header[0]);
  if (header_have >= 4 && magic != kind.magic) {
    fail(shown, "wrong magic number " + hex32(magic) + ", expected " + hex32(kind.magic) +
                    " for IDX " + kind.noun + magic_hint(magic));
  }
  if (actual_bytes < kind.header_bytes) {
    fail(shown, "only " + std::to_string(actual_bytes) + " bytes, shorter than the " +
                    std::to_string(kind.header_bytes) + "-byte header of an IDX " + kind.noun +
                    " file");
  }
  if (kind.has_image_dims) {
    const uint32_t rows = read_big_endian_u32(&header[8]);
    const uint32_t cols = read_big_endian_u32(&header[12]);
    if (rows != kImageRows || cols != kImageCols) {
      fail(shown, "images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                      ", expected 28x28");
    }
  }
  const uint32_t count = read_big_endian_u32(&header[4]);
  const uint64_t expected_bytes = kind.header_bytes + uint64_t{count} * kind.example_bytes;
  if (actual_bytes != expected_bytes) {
    fail(shown, "header says " + std::to_string(count) + " " + kind.noun + ", so expected " +
                    std::to_string(expected_bytes) + " bytes, but there are " +
                    std::to_string(actual_bytes) +
                    (actual_bytes < expected_bytes ? " (truncated)" : " (trailing bytes)"));
  }
  if (count == 0) fail(shown, std::string("holds no ") + kind.noun);
  if (!kind.has_image_dims) check_labels(in, shown, count);
  return count;
}

int64_t validate_pair(const fs::path& images, const std::string& images_shown,
                      const fs::path& labels, const std::string& labels_shown) {
  const uint32_t image_count = validate_idx_file(images, images_shown, kImages);
  const uint32_t label_count = validate_idx_file(labels, labels_shown, kLabels);
  if (image_count != label_count) {
    fail(labels_shown, "holds " + std::to_string(label_count) + " labels but " + images_shown +
                           " holds " + std::to_string(image_count) +
                           " images; both must come from the same MNIST split");
  }
  return image_count;
}

// ---------------------------------------------------------------------------------------------
// Decompressing

class GzipInflater {
 public:
  explicit GzipInflater(const std::string& shown) {
    if (inflateInit2(&stream_, /*windowBits=*/15 + 16) != Z_OK) {  // +16: gzip format only
      throw RuntimeError(shown + ": cannot set up gzip decoding (out of memory?)");
    }
  }
  ~GzipInflater() { inflateEnd(&stream_); }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

void decompress_capped(const fs::path& gz_path, const fs::path& out_path, const IdxKind& kind) {
  const std::string shown = gz_path.string();
  require_regular_file(gz_path, shown);
  std::ifstream in = open_for_reading(gz_path, shown);
  if (size_on_disk(gz_path, shown) == 0) fail(shown, "empty (0 bytes)");
  errno = 0;
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw RuntimeError(out_path.string() + ": cannot create (" + std::strerror(errno) + "). " +
                       kTemporarySpaceHint);
  }

  std::array<unsigned char, kMaxHeaderBytes> header{};
  std::size_t header_have = 0;
  uint64_t limit = kMaxDecompressedBytes;
  uint64_t written = 0;
  const auto emit = [&](const unsigned char* bytes, std::size_t size) {
    if (header_have < kind.header_bytes) {
      const std::size_t taken = std::min(size, kind.header_bytes - header_have);
      std::copy(bytes, bytes + taken, header.begin() + static_cast<std::ptrdiff_t>(header_have));
      header_have += taken;
      if (header_have == kind.header_bytes) {
        limit = std::min(limit, announced_size(header.data(), kind).value_or(limit));
      }
    }
    if (written + size > limit) {
      if (limit == kMaxDecompressedBytes) {
        fail(shown, "decompresses to more than " + std::to_string(kMaxDecompressedBytes >> 20) +
                        " MiB, far more than any MNIST file (corrupt or not MNIST)");
      }
      fail(shown, "decompresses to more than the " + std::to_string(limit) +
                      " bytes its header announces (corrupt)");
    }
    out.write(reinterpret_cast<const char*>(bytes), static_cast<std::streamsize>(size));
    if (!out) {
      throw RuntimeError(out_path.string() + ": write failed (disk full?). " +
                         kTemporarySpaceHint);
    }
    written += size;
  };

  GzipInflater inflater(shown);
  z_stream& stream = inflater.stream();
  std::vector<unsigned char> input(kChunkBytes);
  std::vector<unsigned char> output(kChunkBytes);
  bool member_ended = false;
  for (;;) {
    if (stream.avail_in == 0) {
      in.read(reinterpret_cast<char*>(input.data()), static_cast<std::streamsize>(kChunkBytes));
      if (in.bad()) fail(shown, "read failed");
      if (in.gcount() == 0) break;
      stream.next_in = input.data();
      stream.avail_in = static_cast<uInt>(in.gcount());
    }
    if (member_ended) {  // another gzip member follows, as `cat a.gz b.gz` makes
      inflateReset(&stream);
      member_ended = false;
    }
    int rc = Z_OK;
    do {
      stream.next_out = output.data();
      stream.avail_out = static_cast<uInt>(kChunkBytes);
      rc = inflate(&stream, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        fail(shown, std::string("corrupt gzip data (") +
                        (stream.msg != nullptr ? stream.msg : "inflate failed") + ")");
      }
      if (rc == Z_BUF_ERROR && stream.avail_in != 0 && stream.avail_out != 0) {
        fail(shown, "corrupt gzip data (inflate made no progress)");
      }
      emit(output.data(), kChunkBytes - stream.avail_out);
    } while (stream.avail_out == 0 && rc != Z_STREAM_END);
    member_ended = rc == Z_STREAM_END;
  }
  if (!member_ended) fail(shown, "truncated gzip data (the file ends mid-stream)");
  out.close();
  if (!out) {
    throw RuntimeError(out_path.string() + ": write failed (disk full?). " + kTemporarySpaceHint);
  }
}

// ---------------------------------------------------------------------------------------------
// Preparing a directory

void require_data_dir(const fs::path& data_dir) {
  const std::string shown = data_dir.string();
  std::error_code ec;
  const fs::file_status status = fs::status(data_dir, ec);
  if (status.type() == fs::file_type::not_found) fail(shown, "data directory missing");
  if (ec) fail(shown, "cannot be read (" + ec.message() + ")");
  if (!fs::is_directory(status)) fail(shown, "not a directory");
}

struct FileSource {
  fs::path path;
  bool gzip;
};

FileSource locate(const fs::path& data_dir, const std::string& name) {
  const fs::path plain = data_dir / name;
  if (present(plain)) return {plain, false};
  const fs::path gzip = data_dir / (name + ".gz");
  if (present(gzip)) return {gzip, true};
  fail(plain.string(), "missing (and no " + name + ".gz beside it)");
}

fs::path make_temporary_dir() {
  std::error_code ec;
  const fs::path base = fs::temp_directory_path(ec);
  if (ec) {
    throw RuntimeError("TMPDIR: no usable temporary directory to decompress MNIST into (" +
                       ec.message() + "). " + kTemporarySpaceHint);
  }
  std::string pattern = (base / "mnist-data-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw RuntimeError(base.string() + ": cannot create a temporary directory (" +
                       std::strerror(errno) + "). " + kTemporarySpaceHint);
  }
  return pattern;
}

// Puts the source under target (decompressed, or linked when plain) and returns the name that
// messages about its content should show.
std::string stage(const FileSource& source, const fs::path& target, const IdxKind& kind) {
  if (source.gzip) {
    decompress_capped(source.path, target, kind);
    return source.path.string() + ": decompressed content";
  }
  std::error_code ec;
  const fs::path absolute = fs::absolute(source.path, ec);
  if (!ec) fs::create_symlink(absolute, target, ec);
  if (ec) {
    throw RuntimeError(target.string() + ": cannot link " + source.path.string() + " here (" +
                       ec.message() + "). " + kTemporarySpaceHint);
  }
  return source.path.string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface

std::string mnist_images_name(MnistSplit split) {
  return split == MnistSplit::kTrain ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
}

std::string mnist_labels_name(MnistSplit split) {
  return split == MnistSplit::kTrain ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
}

int64_t validate_mnist_pair(const fs::path& images, const fs::path& labels) {
  return validate_pair(images, images.string(), labels, labels.string());
}

PreparedMnistDir::PreparedMnistDir(const fs::path& data_dir, MnistSplit split) {
  require_data_dir(data_dir);
  const std::string images_name = mnist_images_name(split);
  const std::string labels_name = mnist_labels_name(split);
  const FileSource images = locate(data_dir, images_name);
  const FileSource labels = locate(data_dir, labels_name);
  if (!images.gzip && !labels.gzip) {
    count_ = validate_mnist_pair(images.path, labels.path);
    root_ = data_dir;
    return;
  }

  temporary_dir_ = make_temporary_dir();
  root_ = temporary_dir_;
  try {
    const std::string images_shown = stage(images, temporary_dir_ / images_name, kImages);
    const std::string labels_shown = stage(labels, temporary_dir_ / labels_name, kLabels);
    count_ = validate_pair(temporary_dir_ / images_name, images_shown,
                           temporary_dir_ / labels_name, labels_shown);
  } catch (...) {
    remove_temporary_dir();
    throw;
  }
}

PreparedMnistDir::~PreparedMnistDir() { remove_temporary_dir(); }

PreparedMnistDir::PreparedMnistDir(PreparedMnistDir&& other) noexcept
    : root_(std::move(other.root_)),
      temporary_dir_(std::exchange(other.temporary_dir_, {})),
      count_(other.count_) {}

PreparedMnistDir& PreparedMnistDir::operator=(PreparedMnistDir&& other) noexcept {
  if (this != &other) {
    remove_temporary_dir();
    root_ = std::move(other.root_);
    temporary_dir_ = std::exchange(other.temporary_dir_, {});
    count_ = other.count_;
  }
  return *this;
}

const fs::path& PreparedMnistDir::root() const { return root_; }

int64_t PreparedMnistDir::count() const { return count_; }

void PreparedMnistDir::remove_temporary_dir() noexcept {
  if (temporary_dir_.empty()) return;
  std::error_code ignored;
  fs::remove_all(temporary_dir_, ignored);
  temporary_dir_.clear();
}

}  // namespace mnist
