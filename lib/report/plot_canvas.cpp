// Shared drawing helpers; see plot_canvas.h.
#include "report/plot_canvas.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/atomic_file.h"
#include "core/errors.h"

namespace mnist::plot {
namespace fs = std::filesystem;

cv::Size text_size(const std::string& text, double scale, int thickness) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, thickness, &baseline);
}

double fitting_scale(const std::string& text, double scale, int max_width, int thickness) {
  const int width = text_size(text, scale, thickness).width;
  return width > max_width && width > 0 ? scale * max_width / width : scale;
}

void draw_text(cv::Mat& canvas, const std::string& text, cv::Point anchor, Align horizontal,
               Align vertical, double scale, const cv::Scalar& colour, int thickness) {
  const cv::Size size = text_size(text, scale, thickness);
  int x = anchor.x;
  if (horizontal == Align::kCenter) x -= size.width / 2;
  if (horizontal == Align::kEnd) x -= size.width;
  // putText places the baseline at y; Hershey capitals and digits rise size.height above it.
  int y = anchor.y;
  if (vertical == Align::kStart) y += size.height;
  if (vertical == Align::kCenter) y += size.height / 2;
  cv::putText(canvas, text, {x, y}, kFont, scale, colour, thickness, cv::LINE_AA);
}

void draw_vertical_text(cv::Mat& canvas, const std::string& text, cv::Point centre, double scale,
                        const cv::Scalar& colour, int thickness) {
  const cv::Size size = text_size(text, scale, thickness);
  const int pad = 6;
  // Draw the glyph coverage into a mask, rotate it, then blend the colour in through it so the
  // anti-aliased edges stay smooth on any background.
  cv::Mat mask(size.height + 2 * pad, size.width + 2 * pad, CV_8UC1, cv::Scalar(0));
  cv::putText(mask, text, {pad, pad + size.height}, kFont, scale, cv::Scalar(255), thickness,
              cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(mask, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect target(centre.x - rotated.cols / 2, centre.y - rotated.rows / 2, rotated.cols,
                        rotated.rows);
  const cv::Rect clipped = target & cv::Rect(0, 0, canvas.cols, canvas.rows);
  for (int y = clipped.y; y < clipped.y + clipped.height; ++y) {
    for (int x = clipped.x; x < clipped.x + clipped.width; ++x) {
      const double alpha = rotated.at<uchar>(y - target.y, x - target.x) / 255.0;
      if (alpha == 0) continue;
      auto& pixel = canvas.at<cv::Vec3b>(y, x);
      for (int channel = 0; channel < 3; ++channel) {
        pixel[channel] = cv::saturate_cast<uchar>(pixel[channel] * (1 - alpha) +
                                                  colour[channel] * alpha);
      }
    }
  }
}

cv::Vec3b colormap_colour(int colormap, double t) {
  const double clamped = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  cv::Mat level(1, 1, CV_8UC1, cv::Scalar(std::lround(clamped * 255)));
  cv::Mat colour;
  cv::applyColorMap(level, colour, colormap);
  return colour.at<cv::Vec3b>(0, 0);
}

double relative_luminance(const cv::Vec3b& bgr) {
  const auto linear = [](uchar value) {
    const double c = value / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(bgr[2]) + 0.7152 * linear(bgr[1]) + 0.0722 * linear(bgr[0]);
}

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low)) return {low};
  const double rough = (high - low) / std::max(target, 1);
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  double step = power * 10;
  for (const double factor : {1.0, 2.0, 5.0}) {
    if (power * factor >= rough) {
      step = power * factor;
      break;
    }
  }
  std::vector<double> ticks;
  for (double tick = std::ceil(low / step - 1e-9) * step; tick <= high + step * 1e-9; tick += step) {
    ticks.push_back(std::abs(tick) < step * 1e-9 ? 0.0 : tick);
  }
  return ticks;
}

std::string format_tick(double value, double spacing) {
  int decimals = 0;
  if (spacing > 0 && spacing < 1) {
    decimals = std::min(6, static_cast<int>(std::ceil(-std::log10(spacing) - 1e-9)));
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::vector<unsigned char> encode_png(const cv::Mat& image) {
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", image, png) || png.empty()) {
    throw RuntimeError("cannot encode a " + std::to_string(image.cols) + "x" +
                       std::to_string(image.rows) + " image as PNG");
  }
  return png;
}

void write_png_file(const fs::path& path, const std::vector<unsigned char>& png) {
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace mnist::plot
