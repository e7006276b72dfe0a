// What `mnist-serve` does, as a library call: load the model once, listen, print the address,
// serve until asked to stop (SIGINT/SIGTERM through the StopSource), then finish the requests in
// flight and return.
// Not for: the HTTP service itself (serve/digit_service.h), the options (serve_options.h).
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.h"

namespace mnist {

// mnist-serve from argv (args[0] is the program) to its exit code: banner and
// "listening on http://HOST:PORT" on console.out once requests are accepted; 0 after a stop
// request, 2 for usage errors, 1 when the model cannot be loaded or the address not bound.
int run_serve_cli(const std::vector<std::string>& args, const Console& console, const StopSource& stop);

}  // namespace mnist
