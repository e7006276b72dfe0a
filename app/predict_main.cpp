// mnist-predict: classifies image files of handwritten digits with the exported model, one line
// per file (or JSON); exits 1 when any file could not be classified.
#include <iostream>

#include "cli/predict_command.h"

int main(int argc, char** argv) {
  return mnist::run_predict_cli(mnist::arguments_of(argc, argv), {std::cout, std::cerr});
}
