// mnist-predict as a library call: the options parsed, the start-up banner, the prediction run
// (inference/prediction_run.h) and its answers printed as text or JSON.
// Not for: preparing or classifying the images (inference/prediction_run.h), the options' parsing
// (predict_options.h).
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/predict_options.h"
#include "inference/prediction_run.h"

namespace mnist {

// "digit.png: 7 (p=0.9981)  top 3: 7 0.9981, 1 0.0012, 9 0.0003" for a classified image;
// "digit.png: 4 or 9? (p=0.6012, uncertain)  top 3: ..." below --uncertain-below.
std::string format_prediction_text(const ImagePrediction& prediction);

// The whole report as one JSON document: options, then per image either digit, probability,
// uncertain, runner_up, answer ("7" or "4 or 9?"), top and probabilities, or error.
std::string format_predictions_json(const PredictCliOptions& options, const PredictionReport& report);

// mnist-predict from argv (args[0] is the program) to its exit code: one line per image (or
// JSON) on console.out, one line per failed image on console.err; exit 1 when any failed.
int run_predict_cli(const std::vector<std::string>& args, const Console& console);

}  // namespace mnist
