// Image header reading; see image_header.h.
//
// Each reader takes the few bytes its format puts before the pixels and bounds-checks every read,
// so that a truncated or hostile file yields a message rather than a wild read. The layouts are
// those of the formats' specifications: PNG IHDR, JPEG SOFn segments, BMP DIB headers, Netpbm
// headers, the TIFF first IFD, the three WebP bitstream headers (VP8, VP8L, VP8X) and the Sun
// raster header.
#include "image/image_header.h"

#include <cctype>
#include <cstring>
#include <utility>

#include "core/errors.h"

namespace mnist {

namespace {

const char* const kSupportedFormats =
    "PNG, JPEG, BMP, PGM/PPM/PBM/PAM/PFM, TIFF, WebP or Sun raster";

class ByteReader {
 public:
  ByteReader(const std::vector<uint8_t>& bytes, std::string format)
      : bytes_(bytes), format_(std::move(format)) {}

  const std::string& format() const { return format_; }
  size_t size() const { return bytes_.size(); }

  void need(size_t end) const {
    if (end > bytes_.size()) throw RuntimeError("truncated " + format_ + " header");
  }
  uint8_t u8(size_t at) const {
    need(at + 1);
    return bytes_[at];
  }
  uint32_t be16(size_t at) const { return static_cast<uint32_t>(u8(at) << 8 | u8(at + 1)); }
  uint32_t le16(size_t at) const { return static_cast<uint32_t>(u8(at) | u8(at + 1) << 8); }
  uint32_t be32(size_t at) const { return be16(at) << 16 | be16(at + 2); }
  uint32_t le32(size_t at) const { return le16(at) | le16(at + 2) << 16; }
  uint32_t le24(size_t at) const { return le16(at) | static_cast<uint32_t>(u8(at + 2)) << 16; }

  [[noreturn]] void malformed(const std::string& what) const {
    throw RuntimeError("malformed " + format_ + " header: " + what);
  }

 private:
  const std::vector<uint8_t>& bytes_;
  std::string format_;
};

bool starts_with(const std::vector<uint8_t>& bytes, const char* signature, size_t length) {
  return bytes.size() >= length && std::memcmp(bytes.data(), signature, length) == 0;
}

ImageHeader png_header(const ByteReader& in) {
  in.need(24);
  if (in.be32(8) != 13 || in.u8(12) != 'I' || in.u8(13) != 'H' || in.u8(14) != 'D' ||
      in.u8(15) != 'R') {
    in.malformed("the first chunk is not IHDR");
  }
  return {in.format(), in.be32(16), in.be32(20)};
}

// Segments are walked by their lengths, so the thumbnails inside EXIF data are never mistaken for
// the image's own frame header.
ImageHeader jpeg_header(const ByteReader& in) {
  size_t at = 2;
  for (;;) {
    if (in.u8(at) != 0xFF) in.malformed("expected a marker at byte " + std::to_string(at));
    while (in.u8(at) == 0xFF) ++at;  // fill bytes
    const uint8_t marker = in.u8(at++);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no payload
    if (marker == 0xD9 || marker == 0xDA) in.malformed("no frame header before the image data");
    const uint32_t length = in.be16(at);
    if (length < 2) in.malformed("segment length below 2");
    const bool frame_header =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame_header) return {in.format(), in.be16(at + 5), in.be16(at + 3)};
    at += length;
  }
}

// The offset just past the start-of-scan segment header of the main image, or 0 when the walk
// through the segments breaks down first.
size_t jpeg_scan_start(const ByteReader& in) {
  size_t at = 2;
  while (at + 4 <= in.size()) {
    if (in.u8(at) != 0xFF) return 0;
    while (at < in.size() && in.u8(at) == 0xFF) ++at;
    if (at + 3 > in.size()) return 0;
    const uint8_t marker = in.u8(at++);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    if (marker == 0xD9) return 0;
    const uint32_t length = in.be16(at);
    if (length < 2) return 0;
    if (marker == 0xDA) return at + length;
    at += length;
  }
  return 0;
}

ImageHeader bmp_header(const ByteReader& in) {
  const uint32_t dib_size = in.le32(14);
  if (dib_size == 12) return {in.format(), in.le16(18), in.le16(20)};  // OS/2 BITMAPCOREHEADER
  if (dib_size < 16) in.malformed("DIB header of " + std::to_string(dib_size) + " bytes");
  const auto width = static_cast<int32_t>(in.le32(18));
  const auto height = static_cast<int32_t>(in.le32(22));
  if (width < 0) in.malformed("negative width");
  // A negative height marks a top-down bitmap.
  return {in.format(), width, height < 0 ? -static_cast<int64_t>(height) : height};
}

// Netpbm headers are text: decimal fields separated by white space, with '#' comments.
class NetpbmTokens {
 public:
  NetpbmTokens(const ByteReader& in, size_t at) : in_(in), at_(at) {}

  int64_t next_number(const char* what) {
    skip_space_and_comments();
    if (!std::isdigit(in_.u8(at_))) in_.malformed(std::string(what) + " is not a number");
    int64_t value = 0;
    while (at_ < in_.size() && std::isdigit(in_.u8(at_))) {
      value = value * 10 + (in_.u8(at_++) - '0');
      if (value > 1'000'000'000'000) in_.malformed(std::string(what) + " is absurdly large");
    }
    return value;
  }

  std::string next_word() {
    skip_space_and_comments();
    std::string word;
    while (at_ < in_.size() && !std::isspace(in_.u8(at_))) word += static_cast<char>(in_.u8(at_++));
    if (word.empty()) in_.need(at_ + 1);
    return word;
  }

 private:
  void skip_space_and_comments() {
    for (;;) {
      const uint8_t c = in_.u8(at_);
      if (std::isspace(c)) {
        ++at_;
      } else if (c == '#') {
        while (in_.u8(at_) != '\n') ++at_;
      } else {
        return;
      }
    }
  }

  const ByteReader& in_;
  size_t at_;
};

ImageHeader netpbm_header(const ByteReader& in, bool pam) {
  NetpbmTokens tokens(in, 2);
  if (!pam) {
    const int64_t width = tokens.next_number("width");
    return {in.format(), width, tokens.next_number("height")};
  }
  int64_t width = -1;
  int64_t height = -1;
  for (std::string word = tokens.next_word(); word != "ENDHDR"; word = tokens.next_word()) {
    if (word == "WIDTH") width = tokens.next_number("WIDTH");
    if (word == "HEIGHT") height = tokens.next_number("HEIGHT");
  }
  if (width < 0 || height < 0) in.malformed("WIDTH or HEIGHT missing");
  return {in.format(), width, height};
}

ImageHeader tiff_header(const ByteReader& in, bool little_endian) {
  const auto u16 = [&](size_t at) { return little_endian ? in.le16(at) : in.be16(at); };
  const auto u32 = [&](size_t at) { return little_endian ? in.le32(at) : in.be32(at); };
  const size_t directory = u32(4);
  const uint32_t entries = u16(directory);
  int64_t width = -1;
  int64_t height = -1;
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t entry = directory + 2 + 12 * static_cast<size_t>(i);
    const uint32_t tag = u16(entry);
    if (tag != 256 && tag != 257) continue;  // ImageWidth, ImageLength
    const uint32_t type = u16(entry + 2);
    int64_t value = 0;
    if (type == 3) {
      value = u16(entry + 8);  // SHORT
    } else if (type == 4) {
      value = u32(entry + 8);  // LONG
    } else {
      in.malformed("image size stored with field type " + std::to_string(type));
    }
    (tag == 256 ? width : height) = value;
  }
  if (width < 0 || height < 0) in.malformed("ImageWidth or ImageLength missing");
  return {in.format(), width, height};
}

ImageHeader webp_header(const ByteReader& in) {
  in.need(30);
  const auto chunk = [&](const char* fourcc) {
    return in.u8(12) == fourcc[0] && in.u8(13) == fourcc[1] && in.u8(14) == fourcc[2] &&
           in.u8(15) == fourcc[3];
  };
  if (chunk("VP8 ")) {  // lossy: 14-bit sizes after the key frame start code
    if (in.u8(23) != 0x9D || in.u8(24) != 0x01 || in.u8(25) != 0x2A) {
      in.malformed("no VP8 start code");
    }
    return {in.format(), in.le16(26) & 0x3FFF, in.le16(28) & 0x3FFF};
  }
  if (chunk("VP8L")) {  // lossless: 14-bit sizes minus one, packed
    if (in.u8(20) != 0x2F) in.malformed("no VP8L signature");
    const uint32_t bits = in.le32(21);
    return {in.format(), (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (chunk("VP8X")) {  // extended: 24-bit canvas sizes minus one
    return {in.format(), static_cast<int64_t>(in.le24(24)) + 1,
            static_cast<int64_t>(in.le24(27)) + 1};
  }
  in.malformed("unknown first chunk");
}

}  // namespace

ImageHeader read_image_header(const std::vector<uint8_t>& encoded) {
  if (encoded.empty()) throw RuntimeError("empty file, not an image");
  const auto& b = encoded;
  ImageHeader header;
  if (starts_with(b, "\x89PNG\r\n\x1a\n", 8)) {
    header = png_header(ByteReader(b, "PNG"));
  } else if (starts_with(b, "\xFF\xD8\xFF", 3)) {
    header = jpeg_header(ByteReader(b, "JPEG"));
  } else if (starts_with(b, "BM", 2)) {
    header = bmp_header(ByteReader(b, "BMP"));
  } else if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') {
    static const char* const kNames[] = {"PBM", "PGM", "PPM", "PBM", "PGM", "PPM", "PAM"};
    header = netpbm_header(ByteReader(b, kNames[b[1] - '1']), /*pam=*/b[1] == '7');
  } else if (starts_with(b, "PF", 2) || starts_with(b, "Pf", 2)) {
    header = netpbm_header(ByteReader(b, "PFM"), /*pam=*/false);
  } else if (starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4)) {
    header = tiff_header(ByteReader(b, "TIFF"), /*little_endian=*/b[0] == 'I');
  } else if (starts_with(b, "RIFF", 4) && b.size() >= 12 &&
             std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    header = webp_header(ByteReader(b, "WebP"));
  } else if (starts_with(b, "\x59\xA6\x6A\x95", 4)) {
    const ByteReader in(b, "Sun raster");
    header = {in.format(), in.be32(4), in.be32(8)};
  } else {
    // Formats OpenCV may read but whose size is not checked here, named so the message can say
    // what to do; everything else is simply not an image.
    struct Refused {
      const char* signature;
      size_t length;
      const char* name;
    };
    static const Refused kRefused[] = {{"\0\0\0\x0CjP  \r\n\x87\n", 12, "JPEG 2000"},
                                       {"\xFF\x4F\xFF\x51", 4, "JPEG 2000"},
                                       {"\x76\x2F\x31\x01", 4, "OpenEXR"},
                                       {"#?RADIANCE", 10, "Radiance HDR"},
                                       {"#?RGBE", 6, "Radiance HDR"},
                                       {"GIF8", 4, "GIF"}};
    for (const auto& refused : kRefused) {
      if (starts_with(b, refused.signature, refused.length)) {
        throw RuntimeError(std::string(refused.name) + " images are not accepted; convert it to " +
                           "PNG (accepted: " + kSupportedFormats + ")");
      }
    }
    throw RuntimeError(std::string("not an image in a supported format (") + kSupportedFormats +
                       ")");
  }
  if (header.width <= 0 || header.height <= 0) {
    throw RuntimeError(header.format + " image has no pixels (" + std::to_string(header.width) +
                       "x" + std::to_string(header.height) + ")");
  }
  return header;
}

bool jpeg_is_complete(const std::vector<uint8_t>& encoded) {
  const ByteReader in(encoded, "JPEG");
  const size_t scan = jpeg_scan_start(in);
  if (scan == 0) return false;
  // Inside entropy-coded data every 0xFF is followed by 0x00 or a restart marker, so the first
  // FF D9 after the scan header is the end-of-image marker.
  for (size_t at = scan; at + 1 < encoded.size(); ++at) {
    if (encoded[at] == 0xFF && encoded[at + 1] == 0xD9) return true;
  }
  return false;
}

bool has_more_pixels_than(const ImageHeader& header, int64_t limit) {
  return header.height > 0 && header.width > limit / header.height;
}

ImageHeader check_image_header(const std::vector<uint8_t>& encoded) {
  const ImageHeader header = read_image_header(encoded);
  if (has_more_pixels_than(header, kMaxImagePixels)) {
    throw RuntimeError(header.format + " image of " + std::to_string(header.width) + "x" +
                       std::to_string(header.height) + " pixels is above the limit of " +
                       std::to_string(kMaxImagePixels) +
                       " pixels; scale it down (the digit needs only about 100x100)");
  }
  return header;
}

}  // namespace mnist
