// Option text to numbers; see option_values.h.
#include "core/option_values.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/errors.h"

namespace mnist {

int64_t parse_integer_option(const std::string& option, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0]))) {
    throw UsageError("--" + option + " " + text + ": not an integer");
  }
  if (errno == ERANGE) throw UsageError("--" + option + " " + text + ": out of range");
  return value;
}

double parse_real_option(const std::string& option, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0]))) {
    throw UsageError("--" + option + " " + text + ": not a number");
  }
  if (errno == ERANGE || !std::isfinite(value)) {
    throw UsageError("--" + option + " " + text + ": not a finite number in range");
  }
  return value;
}

void require_option(bool ok, const std::string& option, const std::string& value, const std::string& rule) {
  if (!ok) throw UsageError("--" + option + " " + value + ": " + rule);
}

std::string option_value_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void check_probability_option(const std::string& option, double value) {
  require_option(value >= 0 && value <= 1, option, option_value_text(value), "must be a probability from 0 to 1");
}

std::vector<int64_t> parse_hidden_sizes(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return UsageError("--hidden " + text + ": " + why +
                      " (expected comma-separated layer sizes, e.g. 300,100)");
  };
  std::vector<int64_t> sizes;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("'" + item + "' is not a positive integer");
    }
    if (item.size() > 6 || std::stoll(item) == 0 || std::stoll(item) > 100000) {
      throw bad("'" + item + "' is outside 1..100000");
    }
    sizes.push_back(std::stoll(item));
  }
  if (text.empty() || text.back() == ',') throw bad("empty layer size");
  if (sizes.size() > 16) throw bad("more than 16 hidden layers");
  return sizes;
}

std::string format_hidden_sizes(const std::vector<int64_t>& sizes) {
  std::string text;
  for (const int64_t units : sizes) text += (text.empty() ? "" : ",") + std::to_string(units);
  return text;
}

}  // namespace mnist
