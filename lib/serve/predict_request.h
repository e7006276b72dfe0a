// A request to POST /v1/predict, from its body to the 28x28 input the model reads, and the
// answer as JSON. The body is an encoded image (Content-Type image/* or
// application/octet-stream; a multipart/form-data field is handed in as its bytes) or JSON
// pixels ({"pixels": [784 values in [0,1]]} or 28 rows of 28). Every refusal is an HttpError
// with the status the client should see. No HTTP library here, so the parsing can be tested and
// fuzzed on bytes alone.
// Not for: the server (digit_service.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "serve/batching_classifier.h"

namespace mnist {

struct HttpError : std::runtime_error {
  HttpError(int status_code, const std::string& message) : std::runtime_error(message), status(status_code) {}
  int status;
};

struct RequestLimits {
  int64_t max_body_bytes = 4 << 20;
  int64_t max_pixels = 16'000'000;  // width x height of an image, read from its header
};

struct PreparedRequest {
  std::vector<float> pixels;  // 28x28, white ink on black, in [0, 1]
  bool inverted = false;       // dark ink on light paper was turned around
  bool already_mnist = false;  // an image in MNIST's layout, used as it was
  std::string source_format;   // "PNG", "JPEG", ..., or "pixels" for JSON
  int64_t source_width = 0;
  int64_t source_height = 0;
};

// What kind of body a Content-Type header announces (parameters such as charset ignored).
enum class BodyKind { kImage, kJsonPixels, kMultipart, kUnsupported };
BodyKind body_kind(const std::string& content_type);

// An encoded image: 413 above limits.max_pixels (from the header, before decoding), 400 when it is
// not an image, cannot be decoded or shows no digit.
PreparedRequest prepare_image_body(const std::string& bytes, const RequestLimits& limits);

// JSON pixels: 400 for malformed JSON, another shape, or values that are not numbers in [0, 1].
PreparedRequest prepare_pixels_body(const std::string& json_text);

// A whole body of kind image or JSON pixels (multipart is taken apart by the caller): 415 for
// other content types, 413 above limits.max_body_bytes.
PreparedRequest prepare_request_body(const std::string& content_type, const std::string& body,
                                     const RequestLimits& limits);

// The 200 answer: digit, probability, whether it is uncertain (answer.uncertain), the runner-up
// and the answer as people read it ("7" or "4 or 9?"), all probabilities, top 3, how the input
// was prepared, the
// 28x28 input as base64 PNG, and where the time went.
std::string answer_json(const PreparedRequest& request, const TimedAnswer& answer,
                        double prepare_seconds, double total_seconds);

// {"error": message}
std::string error_json(const std::string& message);

std::string base64(const std::vector<uint8_t>& bytes);

}  // namespace mnist
