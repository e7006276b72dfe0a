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

}  // namespace mnist
