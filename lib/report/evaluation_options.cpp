// The bounds of an evaluation run's options; see evaluation_options.h.
#include "report/evaluation_options.h"

#include <string>

#include "core/option_values.h"

namespace mnist {

std::string split_name(const EvaluateOptions& options) {
  return options.holdout ? "holdout" : to_string(options.split);
}

void validate(const EvaluateOptions& o) {
  require_option(!o.model.empty(), "model", "''", "must not be empty");
  require_option(!o.data_dir.empty(), "data-dir", "''", "must not be empty");
  require_option(o.out.extension() == ".png", "out", o.out.string(), "must be a .png file name");
  require_option(o.misclassified >= 0 && o.misclassified <= kMaxMisclassified, "misclassified",
          std::to_string(o.misclassified),
          "must be an integer from 0 (none) to " + std::to_string(kMaxMisclassified));
  require_option(o.batch_size >= 1 && o.batch_size <= 60000, "batch-size", std::to_string(o.batch_size),
          "must be an integer from 1 to 60000");
  require_option(o.limit >= 0, "limit", std::to_string(o.limit), "must not be negative");
}

}  // namespace mnist
