// The answer to POST /v1/predict as JSON, and errors as JSON. The request's body is parsed in
// request_body.h.
// Not for: the server (digit_service.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serve/batching_classifier.h"
#include "serve/request_body.h"

namespace mnist {

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
