// Small synthetic IDX files (plain or gzip), valid or damaged on purpose, for tests of how the
// MNIST files are checked.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mnist::test {

// An IDX file: a big-endian magic number, one big-endian size per dimension, then the data.
struct IdxFile {
  uint32_t magic = 0;
  std::vector<uint32_t> dims;  // the example count first
  std::string data;

  std::string bytes() const {
    std::string out;
    const auto put = [&out](uint32_t value) {
      for (const int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((value >> shift) & 0xff));
    };
    put(magic);
    for (const uint32_t dim : dims) put(dim);
    return out + data;
  }
};

inline constexpr uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;

inline IdxFile synthetic_images(uint32_t count, uint32_t rows = 28, uint32_t cols = 28) {
  IdxFile file{kIdxImagesMagic, {count, rows, cols}, std::string(size_t{count} * rows * cols, '\0')};
  for (size_t i = 0; i < file.data.size(); ++i) file.data[i] = static_cast<char>((i * 7919) % 256);
  return file;
}

inline IdxFile synthetic_labels(uint32_t count) {
  IdxFile file{kIdxLabelsMagic, {count}, std::string(count, '\0')};
  for (uint32_t i = 0; i < count; ++i) file.data[i] = static_cast<char>((i * 3) % 10);
  return file;
}

// Replaces whatever is at path; a symbolic link is replaced, never written through.
inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::remove(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": cannot write test data");
}

// bytes as one gzip member, as gzip(1) writes it.
inline std::string gzip_bytes(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size())) + 32;
  std::string out(size, '\0');
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, /*windowBits=*/15 + 16,
                   /*memLevel=*/8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

}  // namespace mnist::test
