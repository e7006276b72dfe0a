// mnist-evaluate: runs a TorchScript model from mnist-train over MNIST and reports accuracy,
// per-class metrics and the most confused digits, with a confusion heatmap and metrics.json.
#include <iostream>

#include "cli/evaluate_command.h"

int main(int argc, char** argv) {
  return mnist::run_evaluate_cli(mnist::arguments_of(argc, argv), {std::cout, std::cerr});
}
