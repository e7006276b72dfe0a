// Option values as the tools parse them: whole numbers, real numbers, probabilities and the
// --hidden list (the first byte picks which). An accepted list must survive its own printing,
// since checkpoints store it as text.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "core/option_values.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const size_t variant = mnist::fuzz::variant_of(data, size, 4);
  const std::string text(mnist::fuzz::as_text(data, size));
  try {
    switch (variant) {
      case 0:
        mnist::parse_integer_option("epochs", text);
        break;
      case 1: {
        const double value = mnist::parse_real_option("lr", text);
        mnist::fuzz::require(std::isfinite(value), "real options are finite");
        break;
      }
      case 2:
        mnist::check_probability_option("uncertain-below", mnist::parse_real_option("uncertain-below", text));
        break;
      default: {
        const auto sizes = mnist::parse_hidden_sizes(text);
        mnist::fuzz::require(mnist::parse_hidden_sizes(mnist::format_hidden_sizes(sizes)) == sizes,
                             "a --hidden list survives its printing");
      }
    }
  } catch (const mnist::UsageError&) {
  }
  return 0;
}
