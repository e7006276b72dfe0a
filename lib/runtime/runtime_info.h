// Facts about the numeric libraries in this process, for the start-up banner and the model
// card: which BLAS LibTorch calls (a reference BLAS is many times slower than OpenBLAS), and
// how many threads each library uses.
#pragma once

#include <string>

namespace mnist {

// e.g. "OpenBLAS 0.3.21 (pthreads) /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3, 2 threads"
std::string describe_blas();

int torch_thread_count();

// Sets LibTorch's intra-op threads and, when the BLAS is OpenBLAS, its threads too.
// 0 keeps the libraries' defaults.
void set_thread_count(int threads);

// "LibTorch 1.13.1, OpenCV 4.6.0, HDF5 1.10.8, GCC 12.2.0"
std::string library_versions();

}  // namespace mnist
