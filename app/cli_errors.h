// The edge where library exceptions become one-line messages and exit codes, shared by the
// mains: 2 for usage errors (with a hint to --help), 1 for runtime failures, never a trace.
// Also the one option check cxxopts leaves to us: an option given twice with different values.
#pragma once

#include <c10/util/Exception.h>

#include <cstdio>
#include <cxxopts.hpp>
#include <exception>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "errors.h"

namespace mnist {

// cxxopts keeps the last value of an option given twice; two different values are a
// contradiction to report, not to resolve silently. `lists` names options meant to repeat.
inline void reject_conflicting_repeats(const cxxopts::ParseResult& args,
                                       const std::set<std::string>& lists = {}) {
  std::map<std::string, std::string> first_values;
  for (const auto& argument : args.arguments()) {
    if (lists.count(argument.key()) > 0) continue;
    const auto [first, inserted] = first_values.emplace(argument.key(), argument.value());
    if (!inserted && first->second != argument.value()) {
      throw UsageError("--" + argument.key() + " given twice, as '" + first->second + "' and '" +
                       argument.value() + "'; give it once");
    }
  }
}

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
