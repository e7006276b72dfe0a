// mnist-serve: the trained model as an HTTP service with a draw-a-digit page. SIGINT or SIGTERM
// stops it once the requests in flight are answered.
#include <iostream>

#include "cli/serve_command.h"
#include "cli/stop_signals.h"

int main(int argc, char** argv) {
  mnist::install_stop_signal_handlers();
  return mnist::run_serve_cli(mnist::arguments_of(argc, argv), {std::cout, std::cerr},
                              {mnist::stop_requested, mnist::stop_signal});
}
