// A request body to mnist-serve's POST /v1/predict, as the service hands it over: the first byte
// picks the Content-Type (an image, octet-stream, JSON pixels, multipart, or something else);
// for multipart, the rest is split at NUL bytes into fields (name, filename, content type,
// content, repeated), as the HTTP library hands them over after taking the body apart.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/mnist_shape.h"
#include "fuzz_input.h"
#include "serve/request_body.h"

namespace {

std::vector<mnist::MultipartField> fields_of(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\0', start), text.size());
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<mnist::MultipartField> fields;
  for (size_t i = 0; i + 3 < parts.size(); i += 4) fields.push_back({parts[i], parts[i + 1], parts[i + 2], parts[i + 3]});
  return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kContentTypes[] = {"image/png", "application/octet-stream", "application/json",
                                              "application/json; charset=utf-8", "multipart/form-data",
                                              "text/plain", ""};
  const size_t variant = mnist::fuzz::variant_of(data, size, std::size(kContentTypes));
  const std::string body(mnist::fuzz::as_text(data, size));
  mnist::RequestLimits limits;
  limits.max_pixels = 1'000'000;  // large images are refused from the header, as in the service
  try {
    const std::string content_type = kContentTypes[variant];
    const mnist::PreparedRequest request =
        mnist::body_kind(content_type) == mnist::BodyKind::kMultipart
            ? mnist::prepare_multipart_fields(fields_of(body), limits)
            : mnist::prepare_request_body(content_type, body, limits);
    mnist::fuzz::require(static_cast<int64_t>(request.pixels.size()) == mnist::kImagePixels, "28x28 pixels");
    for (const float pixel : request.pixels) {
      mnist::fuzz::require(std::isfinite(pixel) && pixel >= 0 && pixel <= 1, "pixels in [0, 1]");
    }
  } catch (const mnist::HttpError& e) {
    mnist::fuzz::require(e.status == 400 || e.status == 413 || e.status == 415, "a refusal is 400, 413 or 415");
  }
  return 0;
}
