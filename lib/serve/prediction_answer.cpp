// Answers to JSON; see prediction_answer.h.
#include "serve/prediction_answer.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/mnist_shape.h"
#include "image/image_preprocess.h"

namespace mnist {
using json = nlohmann::ordered_json;

namespace {

json top_json(const DigitAnswer& answer) {
  json top = json::array();
  for (const auto& item : answer.top) top.push_back({{"digit", item.digit}, {"probability", item.probability}});
  return top;
}

double milliseconds(double seconds) { return std::round(seconds * 1e6) / 1e3; }

}  // namespace

std::string answer_json(const PreparedRequest& request, const TimedAnswer& timed,
                        double prepare_seconds, double total_seconds) {
  const DigitAnswer& answer = timed.answer;
  const json body = {
      {"digit", answer.digit},
      {"probability", answer.probability},
      {"uncertain", answer.uncertain},
      {"runner_up", answer.runner_up()},
      {"answer", answer_text(answer)},
      {"probabilities", answer.probabilities},
      {"top", top_json(answer)},
      {"inverted", request.inverted},
      {"already_mnist", request.already_mnist},
      {"input", {{"width", kImageSide}, {"height", kImageSide}, {"png_base64", base64(encode_digit_png(request.pixels))}}},
      {"source", {{"format", request.source_format}, {"width", request.source_width}, {"height", request.source_height}}},
      {"batch_size", timed.batch_size},
      {"timing_ms", {{"prepare", milliseconds(prepare_seconds)},
                     {"queue", milliseconds(timed.queue_seconds)},
                     {"model", milliseconds(timed.model_seconds)},
                     {"total", milliseconds(total_seconds)}}},
  };
  return body.dump();
}

std::string error_json(const std::string& message) {
  return json{{"error", message}}.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

std::string base64(const std::vector<uint8_t>& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t chunk = (uint32_t{bytes[i]} << 16) | (i + 1 < bytes.size() ? uint32_t{bytes[i + 1]} << 8 : 0) |
                           (i + 2 < bytes.size() ? uint32_t{bytes[i + 2]} : 0);
    text += kAlphabet[(chunk >> 18) & 63];
    text += kAlphabet[(chunk >> 12) & 63];
    text += i + 1 < bytes.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    text += i + 2 < bytes.size() ? kAlphabet[chunk & 63] : '=';
  }
  return text;
}

}  // namespace mnist
