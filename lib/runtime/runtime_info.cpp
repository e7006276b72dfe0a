// Runtime facts; see runtime_info.h.
#include "runtime/runtime_info.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <hdf5.h>
#include <link.h>
#include <opencv2/core/version.hpp>
#include <torch/version.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace mnist {

namespace {

std::vector<std::string> loaded_blas_libraries() {
  std::vector<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        const std::string file = std::filesystem::path(name).filename().string();
        if (file.find("blas") != std::string::npos) {
          char resolved[PATH_MAX];
          const bool ok = ::realpath(name.c_str(), resolved) != nullptr;
          static_cast<std::vector<std::string>*>(out)->push_back(ok ? resolved : name);
        }
        return 0;
      },
      &found);
  return found;
}

template <typename Fn>
Fn find_symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}

}  // namespace

std::string describe_blas() {
  const auto libraries = loaded_blas_libraries();
  std::string where = libraries.empty() ? "(no BLAS library loaded)" : libraries.front();
  for (size_t i = 1; i < libraries.size(); ++i) where += ", " + libraries[i];

  const auto get_config = find_symbol<char* (*)()>("openblas_get_config");
  const auto get_threads = find_symbol<int (*)()>("openblas_get_num_threads");
  const auto get_parallel = find_symbol<int (*)()>("openblas_get_parallel");
  if (get_config == nullptr || get_threads == nullptr) {
    return "reference or unknown BLAS " + where +
           " (slow: install libopenblas0-pthread, or run scripts/setup.sh)";
  }
  std::string kind;
  if (get_parallel != nullptr) {
    const int parallel = get_parallel();
    kind = parallel == 0 ? " (sequential)" : parallel == 1 ? " (pthreads)" : " (OpenMP)";
  }
  return std::string(get_config()) + kind + " " + where + ", " + std::to_string(get_threads()) +
         " threads";
}

int torch_thread_count() { return at::get_num_threads(); }

void set_thread_count(int threads) {
  if (threads <= 0) return;
  at::set_num_threads(threads);
  if (const auto set_blas = find_symbol<void (*)(int)>("openblas_set_num_threads")) set_blas(threads);
}

std::string library_versions() {
  return std::string("LibTorch ") + TORCH_VERSION + ", OpenCV " + CV_VERSION + ", HDF5 " +
         std::to_string(H5_VERS_MAJOR) + "." + std::to_string(H5_VERS_MINOR) + "." +
         std::to_string(H5_VERS_RELEASE) + ", compiler " + __VERSION__;
}

}  // namespace mnist
