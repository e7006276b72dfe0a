// The bounds of a prediction run's options; see prediction_options.h.
#include "inference/prediction_options.h"

#include "core/errors.h"
#include "core/option_values.h"

namespace mnist {

void validate(const PredictOptions& options) {
  if (options.images.empty()) {
    throw UsageError("no image files given; usage: mnist-predict [--model FILE] IMAGE...");
  }
  if (options.model.empty()) throw UsageError("--model '': must not be empty");
  check_probability_option("uncertain-below", options.uncertain_below);
  for (const auto& image : options.images) {
    if (image.empty()) throw UsageError("an image file name is empty");
  }
}

}  // namespace mnist
