// Preparing images from many threads at once, as mnist-serve does: every broken image gets its
// own decoder's complaint in its message, good images come out as they do one at a time, and
// nothing a decoder prints reaches standard error, even while other threads write their own
// lines there. scripts/test.sh also runs this program under ThreadSanitizer (build-tsan).
// No LibTorch here, so that it builds and runs quickly with any sanitizer.
#include <gtest/gtest.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "core/standard_error.h"
#include "image/image_preprocess.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes drawn_digit_png(int variant) {
  cv::Mat canvas(120 + variant, 160, CV_8UC1, cv::Scalar(255));
  cv::line(canvas, {20, 15 + variant}, {100, 15}, cv::Scalar(0), 9);
  cv::line(canvas, {100, 15}, {45, 110}, cv::Scalar(0), 9);
  Bytes png;
  cv::imencode(".png", canvas, png);
  return png;
}

std::string error_of(const Bytes& encoded) {
  try {
    mnist::prepare_digit(encoded);
  } catch (const mnist::RuntimeError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ConcurrentDecoding, EveryThreadGetsItsOwnAnswerAndNothingLeaks) {
  // The threads are ours; OpenCV's own worker pool (TBB, not instrumented) would only add
  // reports ThreadSanitizer cannot follow into a library it does not see.
  cv::setNumThreads(0);
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::vector<Bytes> good;
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < kThreads; ++i) {
    good.push_back(drawn_digit_png(i));
    expected.push_back(mnist::prepare_digit(good.back()).pixels);
  }
  const Bytes whole = drawn_digit_png(0);
  const Bytes truncated(whole.begin(), whole.begin() + static_cast<long>(whole.size() / 2));
  const std::string truncated_message = error_of(truncated);
  ASSERT_EQ(truncated_message, "cannot decode the PNG data (libpng error: PNG input buffer is incomplete)");

  testing::internal::CaptureStderr();
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        if (mnist::prepare_digit(good[t]).pixels != expected[t]) ++failures[t];
        if (error_of(truncated) != truncated_message) ++failures[t];
        if (round % 10 == 0) mnist::write_error_line("line " + std::to_string(t) + "." + std::to_string(round));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string printed = testing::internal::GetCapturedStderr();

  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  // Exactly the lines written on purpose, whole, and no decoder complaint among them.
  EXPECT_EQ(std::count(printed.begin(), printed.end(), '\n'), kThreads * kRounds / 10) << printed;
  EXPECT_EQ(printed.find("libpng"), std::string::npos) << printed;
  for (int t = 0; t < kThreads; ++t) EXPECT_NE(printed.find("line " + std::to_string(t) + ".30\n"), std::string::npos);
}
