// mnist-convert: a Keras .h5 model to TorchScript, or a TorchScript model of this project to a
// Keras .h5 (mnist-convert IN OUT).
#include <iostream>

#include "cli/convert_command.h"

int main(int argc, char** argv) {
  return mnist::run_convert_cli(mnist::arguments_of(argc, argv), {std::cout, std::cerr});
}
