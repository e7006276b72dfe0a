// The edge where library exceptions become one-line messages and exit codes, shared by the
// mains: 2 for usage errors (with a hint to --help), 1 for runtime failures, never a trace.
#pragma once

#include <c10/util/Exception.h>

#include <cstdio>
#include <cxxopts.hpp>
#include <exception>
#include <functional>
#include <string>

#include "errors.h"

namespace mnist {

inline int run_cli(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program, e.what(), program);
    return 2;
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program, e.what(), program);
    return 2;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s: %s\n", program, one_line(e.what_without_backtrace()).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, one_line(e.what()).c_str());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "%s: unknown failure\n", program);
    return 1;
  }
}

}  // namespace mnist
