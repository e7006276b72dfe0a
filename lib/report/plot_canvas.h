// Drawing helpers shared by the plots (confusion heatmap, training curves, misclassified grid):
// aligned and rotated text, colour-map lookups, axis ticks and PNG output, on OpenCV images.
// Internal to lib/: it exposes OpenCV types, so only the plotting .cpp files include it; the
// public plotting headers deal in paths and PNG bytes.
// Not for: deciding what a plot shows (each plot's own file does that).
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mnist::plot {

// One font for every plot; the duplex Hershey face stays legible at small sizes.
inline constexpr int kFont = cv::FONT_HERSHEY_DUPLEX;

inline const cv::Scalar kBackground(255, 255, 255);
inline const cv::Scalar kInk(40, 40, 40);
inline const cv::Scalar kMutedInk(110, 110, 110);
inline const cv::Scalar kGridLine(225, 225, 225);

enum class Align { kStart, kCenter, kEnd };

// Draws text with its box placed relative to `anchor`: horizontally its left edge, centre or
// right edge at anchor.x, vertically its top, middle or baseline-bottom at anchor.y.
void draw_text(cv::Mat& canvas, const std::string& text, cv::Point anchor, Align horizontal,
               Align vertical, double scale, const cv::Scalar& colour, int thickness = 1);

// Text turned 90 degrees counter-clockwise (reading bottom to top), centred on `centre`.
void draw_vertical_text(cv::Mat& canvas, const std::string& text, cv::Point centre, double scale,
                        const cv::Scalar& colour, int thickness = 1);

cv::Size text_size(const std::string& text, double scale, int thickness = 1);

// `scale`, reduced as far as needed for the text to fit in max_width pixels.
double fitting_scale(const std::string& text, double scale, int max_width, int thickness = 1);

// The colour (BGR) of OpenCV colour map `colormap` at t in [0, 1] (clamped).
cv::Vec3b colormap_colour(int colormap, double t);

// Relative luminance of a BGR colour, 0 (black) to 1 (white), as WCAG defines it.
double relative_luminance(const cv::Vec3b& bgr);

// Round tick positions (1, 2 or 5 times a power of ten apart) covering [low, high], about
// `target` of them.
std::vector<double> nice_ticks(double low, double high, int target);

// A tick value with as many decimals as the spacing between ticks needs.
std::string format_tick(double value, double spacing);

// PNG bytes of an 8-bit image. Throws RuntimeError when encoding fails.
std::vector<unsigned char> encode_png(const cv::Mat& image);

// Writes PNG bytes to `path` atomically. Throws RuntimeError naming the file.
void write_png_file(const std::filesystem::path& path, const std::vector<unsigned char>& png);

}  // namespace mnist::plot
