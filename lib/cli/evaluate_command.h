// mnist-evaluate as a library call: the options parsed, the start-up banner, the evaluation run
// (report/evaluation_run.h) and its report printed for people.
// Not for: the evaluation itself or the files it writes (report/evaluation_run.h), the options'
// parsing (evaluate_options.h).
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.h"
#include "report/calibration.h"
#include "report/model_evaluation.h"

namespace mnist {

// The coverage table for people: per threshold, the share answered and their accuracy.
std::string format_coverage_table(const std::vector<CoveragePoint>& table);

// One drawn variant's line: accuracy, images refused, confident mistakes and calibration error.
std::string format_variant(const VariantResult& variant);

// mnist-evaluate from argv (args[0] is the program) to its exit code: options and banner, the
// evaluation, the report on console.out; failures as one line on console.err, exit 2 or 1.
int run_evaluate_cli(const std::vector<std::string>& args, const Console& console);

}  // namespace mnist
