// The two kinds of failure the library reports. The CLI edge (app/) turns them into one-line
// messages and exit codes; the library itself never prints or exits.
#pragma once

#include <stdexcept>

namespace mnist {

// Something the user asked for is malformed or impossible (an option, a value): exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Doing what was asked failed (a file, the data, the device): exit code 1.
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace mnist
