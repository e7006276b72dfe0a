// Reading a Keras .h5 in a child process. HDF5 1.10 (Debian 12) crashes on some damaged files:
// tests/fuzz found a variable-length string whose global-heap entry claims 10^17 bytes, which
// H5Aread copies (a segmentation fault in any build). What HDF5 does with a file cannot be
// validated from outside, so the reading runs in a forked child that hands back the model (or
// the error) through a pipe; a crash there becomes one RuntimeError naming the file, and so do a
// loop (the child's deadline) and endless allocation (its memory limit).
// Internal to lib/export (keras_h5_read.cpp).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "export/keras_h5.h"

namespace mnist::keras_h5_detail {

// Runs `read` in a child process and returns what it returned, or throws what it threw (as a
// RuntimeError with the same message), or a RuntimeError naming `name` when the child died or
// was still reading after `deadline`.
KerasModel read_in_child_process(const std::string& name, std::chrono::seconds deadline,
                                 const std::function<KerasModel()>& read);

}  // namespace mnist::keras_h5_detail
