// mnist-train as a library call: run_train_cli is the whole tool, argv to exit code, as main and
// the tests run it: the options parsed and printed, the device, the run (train/training_run.h)
// with progress on the console, its summary, or the line that says how to resume it.
// Not for: the options' parser (train_options.h), the run itself (train/training_run.h), signals
// (the main turns them into a StopSource).
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.h"
#include "train/training_run.h"

namespace mnist {

// One line for the user about an interrupted run: where it stopped, where the checkpoint is and
// the command that resumes it (command_line with --resume added, quoted for a POSIX shell).
std::string describe_interruption(const TrainSummary::Interruption& interruption,
                                  const std::vector<std::string>& command_line);

// mnist-train from argv (args[0] is the program) to its exit code: options and banner, the
// device, training with progress on console.out, the summary; failures as one line on
// console.err with exit code 2 (usage) or 1.
int run_train_cli(const std::vector<std::string>& args, const Console& console,
                  const StopSource& stop = {});

}  // namespace mnist
