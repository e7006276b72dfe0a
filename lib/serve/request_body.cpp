// Request bodies to model input; see request_body.h.
#include "serve/request_body.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "image/image_header.h"
#include "image/image_preprocess.h"

namespace mnist {
using json = nlohmann::ordered_json;

namespace {

std::string media_type(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c); }),
             type.end());
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type;
}

// Rows of 28 numbers, or 784 numbers, in [0, 1].
std::vector<float> pixels_from(const json& values) {
  std::vector<float> pixels;
  const auto take = [&](const json& value) {
    if (!value.is_number()) throw HttpError(400, "\"pixels\" must hold numbers, found " + std::string(value.type_name()));
    const double v = value.get<double>();
    if (!std::isfinite(v) || v < 0 || v > 1) {
      throw HttpError(400, "\"pixels\" values must be in [0, 1], found " + value.dump());
    }
    pixels.push_back(static_cast<float>(v));
  };
  const bool rows = !values.empty() && values.front().is_array();
  if (rows) {
    if (static_cast<int64_t>(values.size()) != kImageSide) {
      throw HttpError(400, "\"pixels\" as rows must be 28 rows of 28, found " + std::to_string(values.size()) + " rows");
    }
    for (const auto& row : values) {
      if (!row.is_array() || static_cast<int64_t>(row.size()) != kImageSide) {
        throw HttpError(400, "\"pixels\" as rows must be 28 rows of 28 numbers");
      }
      for (const auto& value : row) take(value);
    }
  } else {
    if (static_cast<int64_t>(values.size()) != kImagePixels) {
      throw HttpError(400, "\"pixels\" must hold 784 values (or 28 rows of 28), found " +
                               std::to_string(values.size()));
    }
    for (const auto& value : values) take(value);
  }
  return pixels;
}

}  // namespace

BodyKind body_kind(const std::string& content_type) {
  const std::string type = media_type(content_type);
  if (type.rfind("image/", 0) == 0 || type == "application/octet-stream") return BodyKind::kImage;
  if (type == "application/json") return BodyKind::kJsonPixels;
  if (type == "multipart/form-data") return BodyKind::kMultipart;
  return BodyKind::kUnsupported;
}

PreparedRequest prepare_image_body(const std::string& bytes, const RequestLimits& limits) {
  const std::vector<uint8_t> encoded(bytes.begin(), bytes.end());
  ImageHeader header;
  try {
    header = read_image_header(encoded);
  } catch (const RuntimeError& e) {
    throw HttpError(400, e.what());
  }
  if (has_more_pixels_than(header, limits.max_pixels)) {
    throw HttpError(413, header.format + " image of " + std::to_string(header.width) + "x" +
                             std::to_string(header.height) + " pixels is above the limit of " +
                             std::to_string(limits.max_pixels) + " pixels");
  }
  PreparedDigit digit;
  try {
    digit = prepare_digit(encoded);
  } catch (const RuntimeError& e) {
    throw HttpError(400, one_line(e.what()));
  }
  PreparedRequest request;
  request.pixels = std::move(digit.pixels);
  request.inverted = digit.inverted;
  request.already_mnist = digit.already_mnist;
  request.source_format = digit.format;
  request.source_width = digit.source_width;
  request.source_height = digit.source_height;
  return request;
}

PreparedRequest prepare_pixels_body(const std::string& json_text) {
  const json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw HttpError(400, "malformed JSON");
  if (!document.is_object() || !document.contains("pixels") || !document["pixels"].is_array()) {
    throw HttpError(400, "expected a JSON object with an array \"pixels\"");
  }
  PreparedRequest request;
  request.pixels = pixels_from(document["pixels"]);
  request.source_format = "pixels";
  request.source_width = kImageSide;
  request.source_height = kImageSide;
  return request;
}

PreparedRequest prepare_request_body(const std::string& content_type, const std::string& body,
                                     const RequestLimits& limits) {
  if (static_cast<int64_t>(body.size()) > limits.max_body_bytes) {
    throw HttpError(413, "body of " + std::to_string(body.size()) + " bytes is above the limit of " +
                             std::to_string(limits.max_body_bytes) + " bytes");
  }
  switch (body_kind(content_type)) {
    case BodyKind::kImage:
      return prepare_image_body(body, limits);
    case BodyKind::kJsonPixels:
      return prepare_pixels_body(body);
    case BodyKind::kMultipart:
      throw HttpError(400, "multipart/form-data without a file field");
    case BodyKind::kUnsupported:
      break;
  }
  throw HttpError(415, "Content-Type '" + content_type +
                           "' is not accepted: send an image (image/png, image/jpeg, ... or "
                           "application/octet-stream), multipart/form-data, or application/json pixels");
}

PreparedRequest prepare_multipart_fields(const std::vector<MultipartField>& fields, const RequestLimits& limits) {
  for (const MultipartField& field : fields) {
    if (field.name == "image") return prepare_image_body(field.content, limits);
  }
  for (const MultipartField& field : fields) {
    if (!field.filename.empty() || !field.content_type.empty()) return prepare_image_body(field.content, limits);
  }
  throw HttpError(400, "multipart/form-data without a file field (send the image as the field \"image\")");
}

}  // namespace mnist
