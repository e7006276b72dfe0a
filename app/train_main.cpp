// mnist-train: trains the MNIST MLP and exports it (TorchScript and Keras HDF5). SIGINT or
// SIGTERM stops it after the current step with a checkpoint, exiting 130 or 143.
#include <iostream>

#include "cli/stop_signals.h"
#include "cli/train_command.h"
#include "train/progress_display.h"

int main(int argc, char** argv) {
  mnist::install_stop_signal_handlers();
  const mnist::Console console{std::cout, std::cerr, mnist::stdout_is_terminal()};
  return mnist::run_train_cli(mnist::arguments_of(argc, argv), console,
                              {mnist::stop_requested, mnist::stop_signal});
}
