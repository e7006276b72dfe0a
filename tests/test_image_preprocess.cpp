// Image headers and MNIST-style preparation: digits drawn with OpenCV in every accepted format,
// hostile and broken files, and MNIST's own test images, which must pass through unchanged.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "data/mnist_dataset.h"
#include "image/image_header.h"
#include "image/image_preprocess.h"
#include "test_support.h"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr int kSide = static_cast<int>(mnist::kImageSide);

Bytes encode(const cv::Mat& image, const std::string& extension) {
  Bytes bytes;
  if (!cv::imencode(extension, image, bytes)) ADD_FAILURE() << "cannot encode " << extension;
  return bytes;
}

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

void append_be32(Bytes& bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(value >> shift));
}

void append_le32(Bytes& bytes, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<uint8_t>(value >> shift));
}

void append_le16(Bytes& bytes, uint32_t value) {
  bytes.push_back(static_cast<uint8_t>(value));
  bytes.push_back(static_cast<uint8_t>(value >> 8));
}

// Headers alone, claiming a size; nothing after them would decode.
Bytes png_claiming(uint32_t width, uint32_t height) {
  Bytes b = text_bytes("\x89PNG\r\n\x1a\n");
  append_be32(b, 13);
  for (char c : std::string("IHDR")) b.push_back(static_cast<uint8_t>(c));
  append_be32(b, width);
  append_be32(b, height);
  for (uint8_t v : {8, 0, 0, 0, 0}) b.push_back(v);
  append_be32(b, 0);  // CRC, never reached
  return b;
}

Bytes jpeg_claiming(uint32_t width, uint32_t height) {
  Bytes b = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
  for (uint8_t v : {0xFF, 0xC0, 0x00, 0x0B, 0x08}) b.push_back(v);
  b.push_back(static_cast<uint8_t>(height >> 8));
  b.push_back(static_cast<uint8_t>(height));
  b.push_back(static_cast<uint8_t>(width >> 8));
  b.push_back(static_cast<uint8_t>(width));
  for (uint8_t v : {0x01, 0x01, 0x11, 0x00}) b.push_back(v);
  return b;
}

Bytes bmp_claiming(uint32_t width, uint32_t height) {
  Bytes b = text_bytes("BM");
  b.resize(14, 0);
  append_le32(b, 40);
  append_le32(b, width);
  append_le32(b, height);
  b.resize(54, 0);
  return b;
}

Bytes tiff_claiming(uint32_t width, uint32_t height) {
  Bytes b = text_bytes(std::string("II*\0", 4));
  append_le32(b, 8);
  append_le16(b, 2);
  for (const auto& [tag, value] : {std::pair{256u, width}, std::pair{257u, height}}) {
    append_le16(b, tag);
    append_le16(b, 4);  // LONG
    append_le32(b, 1);
    append_le32(b, value);
  }
  append_le32(b, 0);
  return b;
}

Bytes webp_claiming(uint32_t width, uint32_t height) {
  Bytes b = text_bytes("RIFF");
  append_le32(b, 22);
  for (char c : std::string("WEBPVP8X")) b.push_back(static_cast<uint8_t>(c));
  append_le32(b, 10);
  append_le32(b, 0);
  for (uint32_t value : {width - 1, height - 1}) {
    for (int shift = 0; shift < 24; shift += 8) b.push_back(static_cast<uint8_t>(value >> shift));
  }
  return b;
}

Bytes pgm_claiming(uint32_t width, uint32_t height) {
  return text_bytes("P5\n# a comment\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n");
}

std::string prepare_error(const Bytes& bytes) {
  return mnist::test::error_of<mnist::RuntimeError>([&] { mnist::prepare_digit(bytes); });
}

// A "7": two thick strokes, dark on white, large and far from the centre of a 400x300 canvas.
cv::Mat drawn_seven(const cv::Scalar& paper = cv::Scalar(255), const cv::Scalar& ink = cv::Scalar(0),
                    int type = CV_8UC1) {
  cv::Mat canvas(300, 400, type, paper);
  cv::line(canvas, {30, 25}, {200, 25}, ink, 18);
  cv::line(canvas, {200, 25}, {95, 270}, ink, 18);
  return canvas;
}

struct Geometry {
  double centre_x = 0;
  double centre_y = 0;
  int box_width = 0;
  int box_height = 0;
  float brightest = 0;
  float corner_sum = 0;
};

Geometry geometry(const std::vector<float>& pixels) {
  EXPECT_EQ(pixels.size(), static_cast<size_t>(kSide * kSide));
  Geometry g;
  double mass = 0;
  int left = kSide, right = -1, top = kSide, bottom = -1;
  for (int r = 0; r < kSide; ++r) {
    for (int c = 0; c < kSide; ++c) {
      const float value = pixels[static_cast<size_t>(r * kSide + c)];
      mass += value;
      g.centre_x += value * c;
      g.centre_y += value * r;
      g.brightest = std::max(g.brightest, value);
      if (value > 0) {
        left = std::min(left, c);
        right = std::max(right, c);
        top = std::min(top, r);
        bottom = std::max(bottom, r);
      }
    }
  }
  g.centre_x /= mass;
  g.centre_y /= mass;
  g.box_width = right - left + 1;
  g.box_height = bottom - top + 1;
  g.corner_sum = pixels[0] + pixels[kSide - 1] + pixels[kSide * (kSide - 1)] + pixels[kSide * kSide - 1];
  return g;
}

// White on black, in the 20-px box, centre of mass on MNIST's centre (and so within 1 px of the
// field's geometric centre, 13.5).
void expect_mnist_layout(const mnist::PreparedDigit& digit) {
  const Geometry g = geometry(digit.pixels);
  EXPECT_FLOAT_EQ(g.brightest, 1.0f);
  EXPECT_EQ(g.corner_sum, 0.0f);
  EXPECT_LE(g.box_width, mnist::kDigitBox);
  EXPECT_LE(g.box_height, mnist::kDigitBox);
  EXPECT_GE(std::max(g.box_width, g.box_height), mnist::kDigitBox - 1);
  EXPECT_LE(std::abs(g.centre_x - mnist::kDigitCentre), 0.5) << g.centre_x;
  EXPECT_LE(std::abs(g.centre_y - mnist::kDigitCentre), 0.5) << g.centre_y;
  EXPECT_LE(std::abs(g.centre_x - 13.5), 1.0);
  EXPECT_LE(std::abs(g.centre_y - 13.5), 1.0);
}

void expect_same_pixels(const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-5) << "pixel " << i;
}

const std::string kLimit = "above the limit of " + std::to_string(mnist::kMaxImagePixels) + " pixels";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Headers

TEST(ImageHeader, ReadsTheSizeOfEveryAcceptedFormat) {
  cv::Mat gray(23, 37, CV_8UC1, cv::Scalar(255));
  cv::line(gray, {5, 5}, {30, 18}, cv::Scalar(0), 3);
  cv::Mat colour;
  cv::cvtColor(gray, colour, cv::COLOR_GRAY2BGR);
  cv::Mat real;
  gray.convertTo(real, CV_32F, 1.0 / 255);
  const std::vector<std::tuple<std::string, cv::Mat, std::string>> cases = {
      {".png", gray, "PNG"},   {".jpg", colour, "JPEG"}, {".bmp", colour, "BMP"},
      {".pgm", gray, "PGM"},   {".pbm", gray, "PBM"},    {".ppm", colour, "PPM"},
      {".pam", gray, "PAM"},   {".pfm", real, "PFM"},    {".tiff", gray, "TIFF"},
      {".webp", colour, "WebP"}, {".sr", gray, "Sun raster"}};
  for (const auto& [extension, image, format] : cases) {
    SCOPED_TRACE(extension);
    const Bytes bytes = encode(image, extension);
    const auto header = mnist::check_image_header(bytes);
    EXPECT_EQ(header.format, format);
    EXPECT_EQ(header.width, 37);
    EXPECT_EQ(header.height, 23);
    const auto digit = mnist::prepare_digit(bytes);  // and OpenCV decodes what was accepted
    EXPECT_EQ(digit.format, format);
    EXPECT_EQ(digit.source_width, 37);
    EXPECT_TRUE(digit.inverted);
  }
  // WebP has three bitstream headers: lossless (VP8L, OpenCV's default) above, lossy (VP8) here,
  // extended (VP8X) in the next test.
  const Bytes lossless = encode(colour, ".webp");
  EXPECT_EQ(std::string(lossless.begin() + 12, lossless.begin() + 16), "VP8L");
  Bytes lossy;
  ASSERT_TRUE(cv::imencode(".webp", colour, lossy, {cv::IMWRITE_WEBP_QUALITY, 90}));
  EXPECT_EQ(std::string(lossy.begin() + 12, lossy.begin() + 16), "VP8 ");
  const auto header = mnist::read_image_header(lossy);
  EXPECT_EQ(header.width, 37);
  EXPECT_EQ(header.height, 23);
  EXPECT_TRUE(mnist::prepare_digit(lossy).inverted);
}

TEST(ImageHeader, RefusesImagesAboveThePixelLimitFromTheHeaderAlone) {
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"PNG", png_claiming(20000, 20000)},   {"JPEG", jpeg_claiming(20000, 20000)},
      {"BMP", bmp_claiming(20000, 20000)},   {"PGM", pgm_claiming(20000, 20000)},
      {"TIFF", tiff_claiming(20000, 20000)}, {"WebP", webp_claiming(20000, 20000)}};
  for (const auto& [format, bytes] : cases) {
    SCOPED_TRACE(format);
    const auto header = mnist::read_image_header(bytes);
    EXPECT_EQ(header.format, format);
    EXPECT_EQ(header.width, 20000);
    EXPECT_EQ(header.height, 20000);
    // The files hold no pixel data at all: the refusal cannot have come from a decoder.
    const std::string message = prepare_error(bytes);
    EXPECT_EQ(message, format + " image of 20000x20000 pixels is " + kLimit +
                           "; scale it down (the digit needs only about 100x100)");
  }
  // The limit itself is allowed; one pixel more is not. Sizes whose product overflows are caught.
  EXPECT_NO_THROW(mnist::check_image_header(png_claiming(10000, 5000)));
  EXPECT_NE(mnist::test::error_of<mnist::RuntimeError>([] { mnist::check_image_header(png_claiming(10000, 5001)); }).find(kLimit), std::string::npos);
  EXPECT_NE(mnist::test::error_of<mnist::RuntimeError>([] { mnist::check_image_header(png_claiming(0xFFFFFFFF, 0xFFFFFFFF)); }).find(kLimit),
            std::string::npos);
  EXPECT_NE(mnist::test::error_of<mnist::RuntimeError>([] { mnist::check_image_header(pgm_claiming(999999999, 999999999)); }).find(kLimit),
            std::string::npos);
}

TEST(ImageHeader, RefusesImagesWithoutPixels) {
  EXPECT_EQ(prepare_error(png_claiming(0, 10)), "PNG image has no pixels (0x10)");
  EXPECT_EQ(prepare_error(pgm_claiming(0, 0)), "PGM image has no pixels (0x0)");
  EXPECT_EQ(prepare_error(bmp_claiming(12, 0)), "BMP image has no pixels (12x0)");
  EXPECT_EQ(prepare_error(jpeg_claiming(0, 7)), "JPEG image has no pixels (0x7)");
}

TEST(ImageHeader, RefusesWhatIsNotAnImage) {
  EXPECT_EQ(prepare_error({}), "empty file, not an image");
  EXPECT_EQ(prepare_error(text_bytes("hello, not an image\n")),
            "not an image in a supported format (PNG, JPEG, BMP, PGM/PPM/PBM/PAM/PFM, TIFF, WebP or "
            "Sun raster)");
  EXPECT_EQ(prepare_error(text_bytes("\x89PNG\r\n\x1a\n")), "truncated PNG header");
  EXPECT_EQ(prepare_error(text_bytes("P5\n28")), "truncated PGM header");
  EXPECT_EQ(prepare_error(text_bytes("P5\nxx 28\n255\n")), "malformed PGM header: width is not a number");
  EXPECT_EQ(prepare_error(Bytes{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08}),
            "malformed JPEG header: no frame header before the image data");
  EXPECT_EQ(prepare_error(text_bytes("GIF89a....")),
            "GIF images are not accepted; convert it to PNG (accepted: PNG, JPEG, BMP, "
            "PGM/PPM/PBM/PAM/PFM, TIFF, WebP or Sun raster)");
  Bytes tiff = tiff_claiming(10, 10);
  tiff[11] = 0x05;  // first entry's tag: no longer ImageWidth
  EXPECT_EQ(prepare_error(tiff), "malformed TIFF header: ImageWidth or ImageLength missing");
}

TEST(ImageDecoding, BrokenDataGivesOneMessageAndPrintsNothing) {
  const Bytes png = encode(drawn_seven(), ".png");
  const Bytes jpeg = encode(drawn_seven(), ".jpg");
  const Bytes bmp = encode(drawn_seven(), ".bmp");
  testing::internal::CaptureStderr();
  const std::string png_error = prepare_error(Bytes(png.begin(), png.begin() + static_cast<long>(png.size() / 2)));
  const std::string jpeg_error = prepare_error(Bytes(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2)));
  const std::string bmp_error = prepare_error(Bytes(bmp.begin(), bmp.begin() + static_cast<long>(bmp.size() / 2)));
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "") << "decoder messages leaked to standard error";
  EXPECT_EQ(png_error, "cannot decode the PNG data (libpng error: PNG input buffer is incomplete)");
  EXPECT_EQ(jpeg_error, "cannot decode the JPEG data: it ends before the end-of-image marker (truncated file)");
  EXPECT_EQ(bmp_error.rfind("cannot decode the BMP data (", 0), 0u) << bmp_error;
  for (const auto* message : {&png_error, &jpeg_error, &bmp_error}) {
    EXPECT_EQ(message->find('\n'), std::string::npos) << *message;
  }
}

TEST(ImageDecoding, FileErrorsNameTheFile) {
  mnist::test::TempDir dir;
  const auto file_error = [](const fs::path& path) {
    return mnist::test::error_of<mnist::RuntimeError>([&] { mnist::prepare_digit_file(path); });
  };
  EXPECT_EQ(file_error(dir.path() / "missing.png"), (dir.path() / "missing.png").string() + ": no such file");
  EXPECT_EQ(file_error(dir.path()), dir.path().string() + ": is a directory, not an image");
  std::ofstream(dir.path() / "empty.png").close();
  EXPECT_EQ(file_error(dir.path() / "empty.png"), (dir.path() / "empty.png").string() + ": empty file, not an image");
  // A sparse file: as large as it claims, without using the disk.
  std::ofstream(dir.path() / "vast.bmp").close();
  fs::resize_file(dir.path() / "vast.bmp", static_cast<uintmax_t>(mnist::kMaxImageFileBytes) + 1);
  EXPECT_EQ(file_error(dir.path() / "vast.bmp"),
            (dir.path() / "vast.bmp").string() + ": file of 268435457 bytes is above the limit of 268435456 bytes for an image");
}

// ---------------------------------------------------------------------------------------------
// Preparation

TEST(Preprocess, DrawnDigitBlackOnWhiteComesOutLikeMnist) {
  const auto digit = mnist::prepare_digit(encode(drawn_seven(), ".png"));
  EXPECT_TRUE(digit.inverted);
  EXPECT_FALSE(digit.already_mnist);
  EXPECT_EQ(digit.source_width, 400);
  EXPECT_EQ(digit.source_height, 300);
  expect_mnist_layout(digit);
  const Geometry g = geometry(digit.pixels);
  EXPECT_EQ(g.box_height, mnist::kDigitBox);  // the longer side; the aspect ratio is kept
  EXPECT_NEAR(g.box_width, 20.0 * (200 - 30 + 18) / (270 - 25 + 18), 1.5);
}

TEST(Preprocess, WhiteOnBlackIsNotInverted) {
  const auto digit = mnist::prepare_digit(encode(drawn_seven(cv::Scalar(0), cv::Scalar(255)), ".png"));
  EXPECT_FALSE(digit.inverted);
  expect_mnist_layout(digit);
  // The same digit either way round gives the same input.
  const auto dark_on_light = mnist::prepare_digit(encode(drawn_seven(), ".png"));
  EXPECT_EQ(digit.pixels, dark_on_light.pixels);
}

TEST(Preprocess, AlphaIsCompositedOnWhite) {
  // Transparent pixels are black underneath: ignoring alpha would leave nothing to see.
  cv::Mat rgba = drawn_seven(cv::Scalar(0, 0, 0, 0), cv::Scalar(20, 20, 20, 255), CV_8UC4);
  const auto digit = mnist::prepare_digit(encode(rgba, ".png"));
  EXPECT_TRUE(digit.inverted);
  expect_mnist_layout(digit);
  expect_same_pixels(digit.pixels, mnist::prepare_digit(encode(drawn_seven(), ".png")).pixels);
}

TEST(Preprocess, SixteenBitAndColourImagesGiveTheSameDigit) {
  const auto reference = mnist::prepare_digit(encode(drawn_seven(), ".png")).pixels;
  const auto deep = mnist::prepare_digit(encode(drawn_seven(cv::Scalar(65535), cv::Scalar(0), CV_16UC1), ".png"));
  const auto colour = mnist::prepare_digit(encode(drawn_seven(cv::Scalar(255, 255, 255), cv::Scalar(0, 0, 0), CV_8UC3), ".bmp"));
  expect_same_pixels(deep.pixels, reference);
  expect_same_pixels(colour.pixels, reference);
}

TEST(Preprocess, NoisyPhotoOfADigitIsCroppedToTheDigit) {
  // Grey paper with sensor noise, a dark vertical stroke (a "1") off to one side, saved as JPEG.
  cv::Mat photo(480, 640, CV_8UC1, cv::Scalar(170));
  cv::line(photo, {470, 80}, {450, 400}, cv::Scalar(60), 14);
  cv::GaussianBlur(photo, photo, {5, 5}, 1.5);
  cv::Mat noise(photo.size(), CV_16SC1);
  cv::RNG rng(42);
  rng.fill(noise, cv::RNG::NORMAL, 0, 8);
  cv::Mat noisy;
  cv::add(photo, noise, noisy, cv::noArray(), CV_8U);
  const auto digit = mnist::prepare_digit(encode(noisy, ".jpg"));
  EXPECT_TRUE(digit.inverted);
  expect_mnist_layout(digit);
  const Geometry g = geometry(digit.pixels);
  EXPECT_EQ(g.box_height, mnist::kDigitBox);
  EXPECT_LE(g.box_width, 4) << "noise was taken for ink";
}

TEST(Preprocess, LightFallingOffFromACornerIsNotTakenForInk) {
  // The seven on paper lit from the top left, the far corner at half the light, as a phone photo
  // taken under a lamp: one background level would leave the dim corner as "ink" in the box.
  const cv::Mat even = drawn_seven(cv::Scalar(230), cv::Scalar(40));
  cv::Mat lit(even.size(), CV_8UC1);
  const double farthest = std::hypot(even.cols, even.rows);
  for (int r = 0; r < even.rows; ++r) {
    for (int c = 0; c < even.cols; ++c) {
      const double light = 1.0 - 0.5 * std::hypot(c, r) / farthest;
      lit.at<uchar>(r, c) = cv::saturate_cast<uchar>(even.at<uchar>(r, c) * light);
    }
  }
  const auto evenly_lit = mnist::prepare_digit(encode(even, ".png"));
  const auto digit = mnist::prepare_digit(encode(lit, ".jpg"));
  EXPECT_TRUE(digit.inverted);
  expect_mnist_layout(digit);
  const Geometry g = geometry(digit.pixels);
  const Geometry expected = geometry(evenly_lit.pixels);
  EXPECT_EQ(g.box_height, expected.box_height);
  EXPECT_NEAR(g.box_width, expected.box_width, 1);
  double difference = 0;
  for (size_t i = 0; i < digit.pixels.size(); ++i) difference += std::abs(digit.pixels[i] - evenly_lit.pixels[i]);
  EXPECT_LT(difference, 0.1 * std::accumulate(evenly_lit.pixels.begin(), evenly_lit.pixels.end(), 0.0));
}

TEST(Preprocess, FaintHaloOfABlurredDigitDoesNotShrinkIt) {
  // A bar 40x160 of full ink inside a faint glow (a fifth of its ink) reaching 40 px further:
  // the bar, not the glow, is scaled to MNIST's 20 px box, as MNIST's digits were.
  cv::Mat image(300, 300, CV_8UC1, cv::Scalar(0));
  cv::rectangle(image, cv::Rect(90, 30, 120, 240), cv::Scalar(50), cv::FILLED);
  cv::rectangle(image, cv::Rect(130, 70, 40, 160), cv::Scalar(255), cv::FILLED);
  const auto digit = mnist::prepare_digit(encode(image, ".png"));
  int full_ink_rows = 0;
  for (int r = 0; r < kSide; ++r) {
    bool full = false;
    for (int c = 0; c < kSide; ++c) full = full || digit.pixels[static_cast<size_t>(r * kSide + c)] > 0.9f;
    full_ink_rows += full;
  }
  EXPECT_EQ(full_ink_rows, mnist::kDigitBox);
}

TEST(Preprocess, BlankImagesHaveNoDigit) {
  EXPECT_EQ(prepare_error(encode(cv::Mat(50, 60, CV_8UC1, cv::Scalar(255)), ".png")),
            "no digit found: the image is blank (one uniform shade)");
  EXPECT_EQ(prepare_error(encode(cv::Mat(28, 28, CV_8UC1, cv::Scalar(0)), ".png")),
            "no digit found: the image is blank (one uniform shade)");
}

TEST(Preprocess, OutputIsAFixedPoint) {
  mnist::test::TempDir dir;
  const auto first = mnist::prepare_digit(encode(drawn_seven(), ".png"));
  mnist::write_digit_png(dir.path() / "seven.png", first.pixels);
  const cv::Mat written = cv::imread((dir.path() / "seven.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(written.type(), CV_8UC1);
  ASSERT_EQ(written.size(), cv::Size(kSide, kSide));
  const auto again = mnist::prepare_digit_file(dir.path() / "seven.png");
  EXPECT_TRUE(again.already_mnist);
  for (int i = 0; i < kSide * kSide; ++i) {
    const uint8_t expected = static_cast<uint8_t>(std::lround(first.pixels[static_cast<size_t>(i)] * 255));
    EXPECT_EQ(written.data[i], expected);
    EXPECT_EQ(again.pixels[static_cast<size_t>(i)], expected / 255.0f);
  }
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1) << "temporary file left behind";
}

TEST(Preprocess, MnistTestImagesPassThroughUnchanged) {
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest);
  ASSERT_EQ(test.size(), 10000);
  const auto bytes = (test.images * 255).round().to(torch::kUInt8).contiguous();
  int64_t changed = 0;
  for (int64_t i = 0; i < test.size(); ++i) {
    const cv::Mat image(kSide, kSide, CV_8UC1, bytes[i].data_ptr<uint8_t>());
    const auto digit = mnist::prepare_digit(encode(image, ".png"));
    const float* expected = test.images[i].data_ptr<float>();
    bool same = digit.already_mnist && !digit.inverted;
    for (size_t p = 0; same && p < digit.pixels.size(); ++p) same = digit.pixels[p] == expected[p];
    if (!same && ++changed <= 3) ADD_FAILURE() << "test image " << i << " was changed";
  }
  EXPECT_EQ(changed, 0);
}
