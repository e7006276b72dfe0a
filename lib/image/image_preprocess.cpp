// MNIST-style preparation of digit images; see image_preprocess.h for the steps.
//
// All work happens on one float image in [0, 1]. What counts as background comes from the image
// itself (the statistics of its border), so a clean drawing, MNIST itself and a noisy photo each
// get the treatment their background calls for: on a clean background nothing but the exact
// background level is removed, and nothing faint is thrown away.
#include "image/image_preprocess.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/standard_error.h"
#include "image/image_header.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

constexpr int kSide = static_cast<int>(kImageSide);
// Below this difference between the darkest and the lightest pixel there is no digit to find.
constexpr double kMinContrast = 0.02;
// Background noise is cut at its median plus this many standard deviations (estimated from the
// median absolute deviation, which the ink touching the border cannot drag).
constexpr double kNoiseSigmas = 4.0;
// Connected ink smaller than this fraction of the image is taken for noise when finding the box.
constexpr double kSpeckFraction = 1e-4;
// The background is estimated on a copy of the image this many pixels on its longer side, with
// everything narrower than a quarter of that removed (a stroke is at most about a sixth).
constexpr int kLightingSide = 64;
// Light that changes along the border by more than this (of the range 0 to 1) is uneven, as in
// a photo lit from one side, and the estimated background is taken out pixel by pixel; below it,
// one level for the whole image, so that scans and drawings keep exactly the treatment they had.
constexpr double kUnevenLight = 0.08;

// ---------------------------------------------------------------------------------------------
// Decoding to grayscale on white

cv::Mat decode(const std::vector<uint8_t>& encoded, const ImageHeader& header) {
  // JPEG has no alpha; reading it as grayscale also applies its EXIF orientation, which the
  // unchanged mode (needed for alpha elsewhere) would skip.
  // Sun raster has no alpha either, and OpenCV 4.6 reads its 8-bit grey files as all black
  // unless asked for colour.
  int flags = cv::IMREAD_UNCHANGED;
  if (header.format == "JPEG") flags = cv::IMREAD_GRAYSCALE;
  if (header.format == "Sun raster") flags = cv::IMREAD_COLOR;
  const std::string failure = "cannot decode the " + header.format + " data";
  if (header.format == "JPEG" && !jpeg_is_complete(encoded)) {
    throw RuntimeError(failure + ": it ends before the end-of-image marker (truncated file)");
  }
  // Decoders print their complaints; they become part of our message (core/standard_error.h).
  cv::Mat image;
  std::string exception_text;
  const std::string complaint = capture_standard_error([&] {
    try {
      image = cv::imdecode(encoded, flags);
    } catch (const cv::Exception& e) {
      exception_text = one_line(e.what());
    }
  });
  if (!exception_text.empty()) throw RuntimeError(failure + ": " + exception_text);
  if (image.empty()) {
    throw RuntimeError(failure + " (" +
                       (complaint.empty() ? "corrupt or truncated file" : complaint) + ")");
  }
  return image;
}

// One channel of float luminance in [0, 1], transparent parts showing white paper.
cv::Mat to_gray_on_white(const cv::Mat& image) {
  cv::Mat values;
  switch (image.depth()) {
    case CV_8U: {
      // byte / 255.0f exactly, as the MNIST loader computes it, so MNIST's own images come out
      // bit for bit as the model saw them in training.
      static const cv::Mat kByteToUnit = [] {
        cv::Mat table(1, 256, CV_32F);
        for (int i = 0; i < 256; ++i) table.at<float>(i) = static_cast<float>(i) / 255.0f;
        return table;
      }();
      cv::LUT(image, kByteToUnit, values);
      break;
    }
    case CV_16U:
      image.convertTo(values, CV_32F, 1.0 / 65535.0);
      break;
    case CV_32F:
    case CV_64F:
      image.convertTo(values, CV_32F);
      cv::patchNaNs(values, 0.0);
      values = cv::min(cv::max(values, 0.0), 1.0);
      break;
    default:
      throw RuntimeError("unsupported pixel type (signed integers); save the image as 8-bit PNG");
  }
  cv::Mat gray;
  cv::Mat alpha;
  switch (values.channels()) {
    case 1:
      gray = values;
      break;
    case 2: {
      std::vector<cv::Mat> planes;
      cv::split(values, planes);
      gray = planes[0];
      alpha = planes[1];
      break;
    }
    case 3:
      cv::cvtColor(values, gray, cv::COLOR_BGR2GRAY);
      break;
    case 4: {
      cv::cvtColor(values, gray, cv::COLOR_BGRA2GRAY);
      cv::extractChannel(values, alpha, 3);
      break;
    }
    default:
      throw RuntimeError(std::to_string(values.channels()) +
                         " channels per pixel; expected 1 to 4");
  }
  if (!alpha.empty()) gray = gray.mul(alpha) + (1.0 - alpha);
  return gray;
}

// ---------------------------------------------------------------------------------------------
// Border statistics

std::vector<float> border_pixels(const cv::Mat& gray) {
  std::vector<float> border;
  const int rows = gray.rows;
  const int cols = gray.cols;
  for (int r = 0; r < rows; ++r) {
    const float* row = gray.ptr<float>(r);
    if (r == 0 || r == rows - 1) {
      border.insert(border.end(), row, row + cols);
    } else {
      border.push_back(row[0]);
      if (cols > 1) border.push_back(row[cols - 1]);
    }
  }
  return border;
}

// The value below which `fraction` of the values lie (the element at that rank).
double quantile(std::vector<float> values, double fraction) {
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(static_cast<double>(values.size()) * fraction);
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

double median(std::vector<float> values) { return quantile(std::move(values), 0.5); }

// ---------------------------------------------------------------------------------------------
// Ink: white on black, background removed

struct Ink {
  cv::Mat image;  // float, 0 = background
  bool inverted = false;
  bool clean_background = false;  // the border is exactly the background level, no noise
};

// How much the background's level changes along the border (white ink on black), from the levels
// of its sixteen pieces (each side in four), each piece's level the darkest quarter of it: how far
// the middle level lies above the lowest. Uneven light moves most pieces; ink reaching into the
// border (a thick, blurred or blocky digit that fills its image) raises a few, which do not count.
double border_unevenness(const cv::Mat& image) {
  std::vector<double> levels;
  const auto add = [&](const cv::Mat& strip) {
    levels.push_back(quantile(std::vector<float>(strip.begin<float>(), strip.end<float>()), 0.25));
  };
  for (int piece = 0; piece < 4; ++piece) {
    const int left = image.cols * piece / 4, right = image.cols * (piece + 1) / 4;
    const int top = image.rows * piece / 4, bottom = image.rows * (piece + 1) / 4;
    if (right > left) {
      add(image.row(0).colRange(left, right));
      add(image.row(image.rows - 1).colRange(left, right));
    }
    if (bottom > top) {
      add(image.col(0).rowRange(top, bottom));
      add(image.col(image.cols - 1).rowRange(top, bottom));
    }
  }
  std::sort(levels.begin(), levels.end());
  return levels[levels.size() / 2] - levels.front();
}

// Where the light falls unevenly (a phone photo lit from one corner), the background is a
// slope, not a level, and one level cut from it leaves its darker end as "ink" that swallows the
// digit's box. There the background is estimated by a morphological opening, which removes the
// strokes (narrower than its element) and keeps the slow slope, on a small copy so that large
// photos cost little, and taken out of `ink` (white ink on black); `border` is re-read from the
// result. Dark ink on paper (`on_paper`) is paper that reflects less where the ink is: what a
// photo shows is that reflectance times the light, so dividing by the paper's brightness gives
// every part of the stroke the same strength, in the dim corner too.
void flatten_uneven_light(cv::Mat& ink, std::vector<float>& border, bool on_paper) {
  const double scale = static_cast<double>(kLightingSide) / std::max(ink.rows, ink.cols);
  if (scale >= 1.0) return;  // MNIST-sized images: too few pixels to tell a slope from a stroke
  if (border_unevenness(ink) <= kUnevenLight) return;
  // Sized explicitly: an image 1000 pixels by 3 would otherwise shrink to no rows at all.
  const cv::Size small_size(std::max(1, static_cast<int>(std::lround(ink.cols * scale))),
                            std::max(1, static_cast<int>(std::lround(ink.rows * scale))));
  cv::Mat small;
  cv::resize(ink, small, small_size, 0, 0, cv::INTER_AREA);
  const int element = kLightingSide / 4 + 1;
  cv::Mat background;
  cv::morphologyEx(small, background, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, {element, element}));
  cv::resize(background, background, ink.size(), 0, 0, cv::INTER_LINEAR);
  ink = cv::max(ink - background, 0.0);
  if (on_paper) {
    // In ink terms, 1 - background is the paper's brightness; a corner in near darkness is not
    // divided by almost nothing.
    const cv::Mat paper = cv::max(1.0 - background, 0.05);
    ink = cv::min(ink / paper, 1.0);
  }
  border = border_pixels(ink);
}

Ink extract_ink(const cv::Mat& gray) {
  double darkest = 0;
  double lightest = 0;
  cv::minMaxLoc(gray, &darkest, &lightest);
  if (lightest - darkest < kMinContrast) {
    throw RuntimeError("no digit found: the image is blank (one uniform shade)");
  }
  std::vector<float> border = border_pixels(gray);
  Ink ink;
  // The background is whichever end of the image's range the border lies nearer to.
  ink.inverted = median(border) > (darkest + lightest) / 2;
  if (ink.inverted) {
    ink.image = 1.0 - gray;
    for (float& value : border) value = 1.0f - value;
  } else {
    ink.image = gray.clone();
  }
  flatten_uneven_light(ink.image, border, ink.inverted);
  const double background = median(border);
  std::vector<float> deviations(border.size());
  std::transform(border.begin(), border.end(), deviations.begin(),
                 [&](float value) { return std::abs(value - static_cast<float>(background)); });
  const double noise = 1.4826 * median(deviations);
  const double floor = background + kNoiseSigmas * noise;
  ink.clean_background = floor == 0.0;
  if (floor > 0) ink.image = cv::max(ink.image - floor, 0.0);
  return ink;
}

// Clears connected ink smaller than kSpeckFraction of the image: sensor noise and dust in photos.
// Images of up to 100x100 pixels are left alone, so MNIST and small drawings lose nothing.
void clear_specks(cv::Mat& ink) {
  const auto min_area = static_cast<int>(kSpeckFraction * ink.rows * ink.cols);
  if (min_area < 2) return;
  cv::Mat mask = ink > 0;
  cv::Mat labels;
  cv::Mat stats;
  cv::Mat centroids;
  const int count = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  std::vector<uint8_t> speck(static_cast<size_t>(count), 0);
  bool any = false;
  for (int label = 1; label < count; ++label) {
    speck[static_cast<size_t>(label)] = stats.at<int>(label, cv::CC_STAT_AREA) < min_area;
    any = any || speck[static_cast<size_t>(label)];
  }
  if (!any) return;
  for (int r = 0; r < ink.rows; ++r) {
    float* row = ink.ptr<float>(r);
    const int* label = labels.ptr<int>(r);
    for (int c = 0; c < ink.cols; ++c) {
      if (speck[static_cast<size_t>(label[c])]) row[c] = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Geometry

// Summed by hand: cv::moments takes a float matrix of two columns (a thin "1") for a list of
// points and returns the moments of a polygon.
cv::Point2d centre_of_mass(const cv::Mat& ink) {
  double mass = 0;
  double x = 0;
  double y = 0;
  for (int r = 0; r < ink.rows; ++r) {
    const float* row = ink.ptr<float>(r);
    for (int c = 0; c < ink.cols; ++c) {
      mass += row[c];
      x += static_cast<double>(row[c]) * c;
      y += static_cast<double>(row[c]) * r;
    }
  }
  return {x / mass, y / mass};
}

// The whole-pixel shift that brings `position` nearest to kDigitCentre. Exact halves round
// towards no shift, so an MNIST image (centre of mass from 13.5 to 14.5) stays where it is.
int shift_towards_centre(double position) {
  const double shift = kDigitCentre - position;
  const double magnitude = std::ceil(std::abs(shift) - 0.5 - 1e-9);
  return static_cast<int>(shift < 0 ? -magnitude : magnitude);
}

bool has_mnist_layout(const cv::Mat& gray, const Ink& ink, const cv::Rect& box) {
  if (gray.rows != kSide || gray.cols != kSide || ink.inverted || !ink.clean_background) {
    return false;
  }
  if (box.width > kDigitBox || box.height > kDigitBox) return false;
  const cv::Point2d centre = centre_of_mass(ink.image);
  return std::abs(centre.x - kDigitCentre) <= 1.0 && std::abs(centre.y - kDigitCentre) <= 1.0;
}

// The part of the ink that is scaled to MNIST's 20x20 box: ink above this fraction of the
// brightest. The faint halo of a blurred or soft-edged digit lies outside it, so it does not make
// the digit smaller (a blur of 1.2 px: 84% read right with the halo in the box, 97% without).
// Chosen on training images drawn as people draw (scripts/recipe-notes.md).
constexpr double kDigitInkFraction = 0.25;

cv::Rect digit_box(const cv::Mat& ink) {
  double brightest = 0;
  cv::minMaxLoc(ink, nullptr, &brightest);
  return cv::boundingRect(ink > kDigitInkFraction * brightest);
}

cv::Mat place_in_field(const cv::Mat& ink, const cv::Rect& box) {
  const double scale = static_cast<double>(kDigitBox) / std::max(box.width, box.height);
  const cv::Size size(std::max(1, static_cast<int>(std::lround(box.width * scale))),
                      std::max(1, static_cast<int>(std::lround(box.height * scale))));
  cv::Mat digit;
  if (size == box.size()) {
    digit = ink(box).clone();
  } else {
    cv::resize(ink(box), digit, size, 0, 0, cv::INTER_AREA);
  }
  double brightest = 0;
  cv::minMaxLoc(digit, nullptr, &brightest);
  if (brightest <= 0) throw RuntimeError("no digit found: too little ink after scaling");
  digit *= 1.0 / brightest;

  const cv::Point2d centre = centre_of_mass(digit);
  // Shifting never pushes ink out of the field: a lopsided digit stays whole, slightly off-centre.
  const int left = std::clamp(shift_towards_centre(centre.x), 0, kSide - size.width);
  const int top = std::clamp(shift_towards_centre(centre.y), 0, kSide - size.height);
  cv::Mat field = cv::Mat::zeros(kSide, kSide, CV_32F);
  digit.copyTo(field(cv::Rect(left, top, size.width, size.height)));
  return field;
}

std::vector<float> to_vector(const cv::Mat& field) {
  const cv::Mat clamped = cv::min(cv::max(field, 0.0), 1.0);
  std::vector<float> pixels(static_cast<size_t>(kSide * kSide));
  for (int r = 0; r < kSide; ++r) {
    const float* row = clamped.ptr<float>(r);
    std::copy(row, row + kSide, pixels.begin() + static_cast<std::ptrdiff_t>(r * kSide));
  }
  return pixels;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw RuntimeError("cannot access: " + ec.message());
  }
  if (!fs::exists(status)) throw RuntimeError("no such file");
  if (fs::is_directory(status)) throw RuntimeError("is a directory, not an image");
  if (!fs::is_regular_file(status)) throw RuntimeError("not a regular file");
  const auto size = fs::file_size(path, ec);
  if (ec) throw RuntimeError("cannot read the size: " + ec.message());
  if (size > static_cast<uintmax_t>(kMaxImageFileBytes)) {
    throw RuntimeError("file of " + std::to_string(size) + " bytes is above the limit of " +
                       std::to_string(kMaxImageFileBytes) + " bytes for an image");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError(std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uintmax_t>(in.gcount()) != size) throw RuntimeError("read failed or file shrank");
  return bytes;
}

}  // namespace

namespace {

// Steps 2-5 on a decoded image, grayscale in [0, 1].
PreparedDigit prepare_gray(const cv::Mat& gray) {
  Ink ink = extract_ink(gray);
  clear_specks(ink.image);
  const cv::Rect box = cv::boundingRect(ink.image > 0);
  if (box.area() == 0) throw RuntimeError("no digit found: nothing stands out from the background");
  const cv::Rect digit = digit_box(ink.image);

  PreparedDigit prepared;
  prepared.source_width = gray.cols;
  prepared.source_height = gray.rows;
  prepared.inverted = ink.inverted;
  prepared.already_mnist = has_mnist_layout(gray, ink, box);
  prepared.pixels = to_vector(prepared.already_mnist ? ink.image : place_in_field(ink.image, digit));
  return prepared;
}

}  // namespace

PreparedDigit prepare_digit(const std::vector<uint8_t>& encoded) {
  const ImageHeader header = check_image_header(encoded);
  PreparedDigit prepared = prepare_gray(to_gray_on_white(decode(encoded, header)));
  prepared.format = header.format;
  return prepared;
}

PreparedDigit prepare_digit_pixels(const float* gray, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0 || rows * cols > kMaxImagePixels) {
    throw std::invalid_argument("prepare_digit_pixels: " + std::to_string(rows) + "x" + std::to_string(cols) +
                                " pixels");
  }
  return prepare_gray(cv::Mat(static_cast<int>(rows), static_cast<int>(cols), CV_32F, const_cast<float*>(gray)));
}

PreparedDigit prepare_digit_file(const fs::path& path) {
  try {
    return prepare_digit(read_bytes(path));
  } catch (const RuntimeError& e) {
    throw RuntimeError(path.string() + ": " + e.what());
  } catch (const cv::Exception& e) {
    throw RuntimeError(path.string() + ": image processing failed: " + one_line(e.what()));
  }
}

std::vector<uint8_t> encode_digit_png(const std::vector<float>& pixels) {
  if (pixels.size() != static_cast<size_t>(kSide * kSide)) {
    throw std::invalid_argument("encode_digit_png: expected 28x28 pixels");
  }
  cv::Mat field(kSide, kSide, CV_32F, const_cast<float*>(pixels.data()));
  cv::Mat bytes_per_pixel;
  field.convertTo(bytes_per_pixel, CV_8U, 255.0);  // rounds and saturates
  std::vector<uint8_t> png;
  if (!cv::imencode(".png", bytes_per_pixel, png)) {
    throw RuntimeError("cannot encode a 28x28 PNG");
  }
  return png;
}

void write_digit_png(const fs::path& path, const std::vector<float>& pixels) {
  const std::vector<uint8_t> png = encode_digit_png(pixels);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace mnist
