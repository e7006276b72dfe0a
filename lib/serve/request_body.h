// A request body to POST /v1/predict, turned into the 28x28 input the model reads. The body is
// an encoded image (Content-Type image/* or application/octet-stream), the file field of a
// multipart/form-data body, or JSON pixels ({"pixels": [784 values in [0,1]]} or 28 rows of 28).
// Every refusal is an HttpError with the status the client should see. No HTTP library and no
// LibTorch here, so the parsing is tested and fuzzed on bytes alone (tests/fuzz).
// Not for: the answer (prediction_answer.h), the server (digit_service.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

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

// One field of a multipart/form-data body, as the HTTP library took it apart.
struct MultipartField {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string content;
};

// The image of a multipart body: the field "image", or else the first file field (one with a
// filename or a content type); 400 when there is none.
PreparedRequest prepare_multipart_fields(const std::vector<MultipartField>& fields, const RequestLimits& limits);

}  // namespace mnist
