// IDX checking, gzip inflation and reading; see idx_files.h.
//
// Design: nothing is ever allocated or read from a size a header claims. Files are checked against
// their size on disk first (a header that lies about the count fails there), and gzip input is
// inflated chunk by chunk into memory with a cap on the output (what the header announces, and
// never more than kMaxDecompressedBytes), so a lying header or a gzip bomb cannot exhaust memory.
// Plain image files are read once, straight into the caller's buffer.
#include "data/idx_files.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/mnist_shape.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

constexpr const char* kGetDataHint =
    "Run scripts/setup.sh to fetch MNIST, or point --data-dir at a directory with the MNIST "
    "files.";
constexpr auto kImageRows = static_cast<uint32_t>(kImageSide);
constexpr auto kImageCols = static_cast<uint32_t>(kImageSide);
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
// any other header, whose precise problem check_idx_header reports.
std::optional<uint64_t> announced_size(const unsigned char* header, const IdxKind& kind) {
  if (read_big_endian_u32(header) != kind.magic) return std::nullopt;
  if (kind.has_image_dims && (read_big_endian_u32(header + 8) != kImageRows ||
                              read_big_endian_u32(header + 12) != kImageCols)) {
    return std::nullopt;
  }
  return kind.header_bytes + uint64_t{read_big_endian_u32(header + 4)} * kind.example_bytes;
}

// Checks a file's header (header_have bytes of it, all it has when that is fewer than a header)
// against the file's total size and returns the number of examples it holds.
uint32_t check_idx_header(const unsigned char* header, std::size_t header_have, uint64_t total_bytes,
                          const std::string& shown, const IdxKind& kind) {
  if (total_bytes == 0) fail(shown, "empty (0 bytes)");
  // The magic number goes first: it tells a wrong file (often a short one) from a truncated one.
  const uint32_t magic = header_have >= 4 ? read_big_endian_u32(header) : kind.magic;
  if (magic != kind.magic) {
    fail(shown, "wrong magic number " + hex32(magic) + ", expected " + hex32(kind.magic) +
                    " for IDX " + kind.noun + magic_hint(magic));
  }
  if (total_bytes < kind.header_bytes) {
    fail(shown, "only " + std::to_string(total_bytes) + " bytes, shorter than the " +
                    std::to_string(kind.header_bytes) + "-byte header of an IDX " + kind.noun +
                    " file");
  }
  if (kind.has_image_dims) {
    const uint32_t rows = read_big_endian_u32(header + 8);
    const uint32_t cols = read_big_endian_u32(header + 12);
    if (rows != kImageRows || cols != kImageCols) {
      fail(shown, "images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                      ", expected 28x28");
    }
  }
  const uint32_t count = read_big_endian_u32(header + 4);
  const uint64_t expected_bytes = kind.header_bytes + uint64_t{count} * kind.example_bytes;
  if (total_bytes != expected_bytes) {
    fail(shown, "header says " + std::to_string(count) + " " + kind.noun + ", so expected " +
                    std::to_string(expected_bytes) + " bytes, but there are " +
                    std::to_string(total_bytes) +
                    (total_bytes < expected_bytes ? " (truncated)" : " (trailing bytes)"));
  }
  if (count == 0) fail(shown, std::string("holds no ") + kind.noun);
  return count;
}

void check_labels(const unsigned char* labels, uint32_t count, const std::string& shown) {
  for (uint32_t i = 0; i < count; ++i) {
    if (labels[i] >= kNumClasses) {
      fail(shown, "label at index " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                      ", expected 0..9");
    }
  }
}

void check_counts_agree(uint32_t image_count, const std::string& images_shown, uint32_t label_count,
                        const std::string& labels_shown) {
  if (image_count != label_count) {
    fail(labels_shown, "holds " + std::to_string(label_count) + " labels but " + images_shown +
                           " holds " + std::to_string(image_count) +
                           " images; both must come from the same MNIST split");
  }
}

// ---------------------------------------------------------------------------------------------
// Inflating gzip into memory

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

// How much output an inflation may make: max_bytes, lowered to the size an IDX header announces
// once that header has come out (when the content is to be an IDX file of `kind`).
class OutputCap {
 public:
  OutputCap(const std::string& shown, uint64_t max_bytes, const IdxKind* kind)
      : shown_(shown), max_bytes_(max_bytes), limit_(max_bytes), kind_(kind) {}

  void admit(const std::string& output) {
    if (kind_ != nullptr && !header_seen_ && output.size() >= kind_->header_bytes) {
      header_seen_ = true;
      const auto announced = announced_size(reinterpret_cast<const unsigned char*>(output.data()), *kind_);
      limit_ = std::min(limit_, announced.value_or(limit_));
    }
    if (output.size() <= limit_) return;
    if (limit_ == max_bytes_) {
      if (kind_ != nullptr) {
        fail(shown_, "decompresses to more than " + std::to_string(max_bytes_ >> 20) +
                         " MiB, far more than any MNIST file (corrupt or not MNIST)");
      }
      throw RuntimeError(shown_ + ": decompresses to more than " + std::to_string(max_bytes_) + " bytes");
    }
    fail(shown_, "decompresses to more than the " + std::to_string(limit_) +
                     " bytes its header announces (corrupt)");
  }

 private:
  const std::string& shown_;
  uint64_t max_bytes_;
  uint64_t limit_;
  const IdxKind* kind_;
  bool header_seen_ = false;
};

[[noreturn]] void fail_gzip(const std::string& shown, const IdxKind* kind, const std::string& problem) {
  if (kind != nullptr) fail(shown, problem);
  throw RuntimeError(shown + ": " + problem);
}

// Inflates one chunk of input (all of it, the end of a member, or as far as the output allows)
// into `output`; true when a gzip member ended.
bool inflate_chunk(z_stream& stream, std::string& output, OutputCap& cap, const std::string& shown,
                   const IdxKind* kind) {
  std::vector<unsigned char> buffer(kChunkBytes);
  int rc = Z_OK;
  do {
    stream.next_out = buffer.data();
    stream.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      fail_gzip(shown, kind, std::string("corrupt gzip data (") +
                                 (stream.msg != nullptr ? stream.msg : "inflate failed") + ")");
    }
    if (rc == Z_BUF_ERROR && stream.avail_in != 0 && stream.avail_out != 0) {
      fail_gzip(shown, kind, "corrupt gzip data (inflate made no progress)");
    }
    const std::size_t produced = buffer.size() - stream.avail_out;
    output.append(reinterpret_cast<const char*>(buffer.data()), produced);
    cap.admit(output);
  } while (stream.avail_out == 0 && rc != Z_STREAM_END);
  return rc == Z_STREAM_END;
}

// Inflates what next_input hands out chunk by chunk (an empty chunk: the end).
std::string inflate_from(const std::function<std::string_view()>& next_input, const std::string& shown,
                         uint64_t max_bytes, const IdxKind* kind) {
  GzipInflater inflater(shown);
  z_stream& stream = inflater.stream();
  OutputCap cap(shown, max_bytes, kind);
  std::string output;
  bool member_ended = false;
  for (;;) {
    if (stream.avail_in == 0) {
      const std::string_view chunk = next_input();
      if (chunk.empty()) break;
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
      stream.avail_in = static_cast<uInt>(chunk.size());
    }
    if (member_ended) {  // another gzip member follows, as `cat a.gz b.gz` makes
      inflateReset(&stream);
      member_ended = false;
    }
    member_ended = inflate_chunk(stream, output, cap, shown, kind);
  }
  if (!member_ended) fail_gzip(shown, kind, "truncated gzip data (the file ends mid-stream)");
  return output;
}

std::string inflate_idx_file(const fs::path& gz_path, const IdxKind& kind) {
  const std::string shown = gz_path.string();
  require_regular_file(gz_path, shown);
  std::ifstream in = open_for_reading(gz_path, shown);
  if (size_on_disk(gz_path, shown) == 0) fail(shown, "empty (0 bytes)");
  std::vector<char> chunk(kChunkBytes);
  const auto next_input = [&]() -> std::string_view {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (in.bad()) fail(shown, "read failed");
    return {chunk.data(), static_cast<std::size_t>(in.gcount())};
  };
  return inflate_from(next_input, shown, kMaxDecompressedBytes, &kind);
}

// ---------------------------------------------------------------------------------------------
// One file of a split, checked

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

// The plain file name in data_dir, or else its .gz.
FileSource locate(const fs::path& data_dir, const std::string& name) {
  const fs::path plain = data_dir / name;
  if (present(plain)) return {plain, false};
  const fs::path gzip = data_dir / (name + ".gz");
  if (present(gzip)) return {gzip, true};
  fail(plain.string(), "missing (and no " + name + ".gz beside it)");
}

// A checked IDX file: its example count, and where its examples are.
class IdxFile {
 public:
  // A located file, checked: a plain one in place, a .gz one inflated into memory.
  static IdxFile open(const FileSource& source, const IdxKind& kind) {
    if (source.gzip) return IdxFile(source.path, inflate_idx_file(source.path, kind), kind);
    return IdxFile(source.path, kind);
  }

  // A plain file: the header is checked against the size on disk; the body stays on disk.
  IdxFile(const fs::path& path, const IdxKind& kind) : kind_(kind), shown_(path.string()), path_(path) {
    require_regular_file(path, shown_);
    std::ifstream in = open_for_reading(path, shown_);
    const uint64_t total_bytes = size_on_disk(path, shown_);
    std::array<unsigned char, kMaxHeaderBytes> header{};
    const std::size_t header_have =
        static_cast<std::size_t>(std::min<uint64_t>(total_bytes, kind.header_bytes));
    if (!in.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(header_have))) {
      fail(shown_, "cannot read the header");
    }
    count_ = check_idx_header(header.data(), header_have, total_bytes, shown_, kind);
  }

  // Decompressed (or otherwise in-memory) content, named `shown` in messages.
  IdxFile(const fs::path& source, std::string content, const IdxKind& kind)
      : IdxFile(std::move(content), source.string() + ": decompressed content", kind) {}

  IdxFile(std::string content, std::string shown, const IdxKind& kind)
      : kind_(kind), shown_(std::move(shown)), content_(std::move(content)) {
    const std::size_t header_have = std::min(content_.size(), kind.header_bytes);
    count_ = check_idx_header(reinterpret_cast<const unsigned char*>(content_.data()), header_have,
                              content_.size(), shown_, kind);
  }

  uint32_t count() const { return count_; }
  const std::string& shown() const { return shown_; }

  // The examples' bytes (count x example size, header skipped) into destination.
  void read_examples(unsigned char* destination) const {
    const uint64_t bytes = uint64_t{count_} * kind_.example_bytes;
    if (path_.empty()) {
      std::memcpy(destination, content_.data() + kind_.header_bytes, bytes);
      return;
    }
    std::ifstream in = open_for_reading(path_, shown_);
    in.seekg(static_cast<std::streamoff>(kind_.header_bytes));
    if (!in.read(reinterpret_cast<char*>(destination), static_cast<std::streamsize>(bytes))) {
      fail(shown_, "could not read " + std::to_string(bytes) +
                       " bytes of examples (the file changed while it was read?)");
    }
  }

  std::vector<uint8_t> read_labels() const {
    std::vector<uint8_t> labels(count_);
    read_examples(labels.data());
    check_labels(labels.data(), count_, shown_);
    return labels;
  }

 private:
  const IdxKind& kind_;
  std::string shown_;
  fs::path path_;        // a plain file; empty when the content is in memory
  std::string content_;  // the whole file, header included, when it is in memory
  uint32_t count_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface

std::string to_string(MnistSplit split) { return split == MnistSplit::kTest ? "test" : "train"; }

std::string mnist_images_name(MnistSplit split) {
  return split == MnistSplit::kTrain ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
}

std::string mnist_labels_name(MnistSplit split) {
  return split == MnistSplit::kTrain ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
}

int64_t validate_mnist_pair(const fs::path& images, const fs::path& labels) {
  const IdxFile image_file(images, kImages);
  const IdxFile label_file(labels, kLabels);
  label_file.read_labels();
  check_counts_agree(image_file.count(), image_file.shown(), label_file.count(), label_file.shown());
  return image_file.count();
}

int64_t validate_idx_pair_bytes(std::string_view images, std::string_view labels,
                                const std::string& images_name, const std::string& labels_name) {
  const IdxFile image_file(std::string(images), images_name, kImages);
  const IdxFile label_file(std::string(labels), labels_name, kLabels);
  label_file.read_labels();
  check_counts_agree(image_file.count(), image_file.shown(), label_file.count(), label_file.shown());
  return image_file.count();
}

std::vector<uint8_t> read_mnist_split(const fs::path& data_dir, MnistSplit split,
                                      const ImageBufferFor& images_for) {
  require_data_dir(data_dir);
  const FileSource image_source = locate(data_dir, mnist_images_name(split));
  const FileSource label_source = locate(data_dir, mnist_labels_name(split));
  const IdxFile images = IdxFile::open(image_source, kImages);
  const IdxFile labels = IdxFile::open(label_source, kLabels);
  std::vector<uint8_t> label_bytes = labels.read_labels();
  check_counts_agree(images.count(), images.shown(), labels.count(), labels.shown());
  images.read_examples(images_for(images.count()));
  return label_bytes;
}

std::string inflate_gzip(std::string_view compressed, uint64_t max_bytes, const std::string& name) {
  bool handed_out = false;
  const auto next_input = [&]() -> std::string_view {
    if (handed_out) return {};
    handed_out = true;
    return compressed.substr(0, std::min<std::size_t>(compressed.size(), UINT32_MAX));
  };
  if (compressed.empty()) throw RuntimeError(name + ": empty (0 bytes)");
  return inflate_from(next_input, name, max_bytes, nullptr);
}

}  // namespace mnist
