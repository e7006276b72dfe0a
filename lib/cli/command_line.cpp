// Parsing and failure mapping for the tools; see command_line.h.
#include "cli/command_line.h"

#include <c10/util/Exception.h>

#include <cxxopts.hpp>
#include <exception>
#include <map>
#include <ostream>

#include "core/errors.h"

namespace mnist {

namespace {

// cxxopts keeps the last value of an option given twice; two different values are a
// contradiction to report, not to resolve silently.
void reject_conflicting_repeats(const cxxopts::ParseResult& parsed, const std::set<std::string>& lists) {
  std::map<std::string, std::string> first_values;
  for (const auto& argument : parsed.arguments()) {
    if (lists.count(argument.key()) > 0) continue;
    const auto [first, inserted] = first_values.emplace(argument.key(), argument.value());
    if (!inserted && first->second != argument.value()) {
      throw UsageError("--" + argument.key() + " given twice, as '" + first->second + "' and '" +
                       argument.value() + "'; give it once");
    }
  }
}

}  // namespace

std::vector<std::string> arguments_of(int argc, const char* const* argv) {
  return std::vector<std::string>(argv, argv + argc);
}

std::optional<cxxopts::ParseResult> parse_or_help(cxxopts::Options& spec,
                                                  const std::vector<std::string>& args,
                                                  std::ostream& help_out,
                                                  const std::set<std::string>& lists) {
  std::vector<const char*> argv;
  for (const auto& argument : args) argv.push_back(argument.c_str());
  try {
    auto parsed = spec.parse(static_cast<int>(argv.size()), argv.data());
    if (parsed.count("help")) {
      help_out << spec.help() << std::endl;
      return std::nullopt;
    }
    reject_conflicting_repeats(parsed, lists);
    return parsed;
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(e.what());
  }
}

void reject_unmatched(const cxxopts::ParseResult& parsed) {
  if (!parsed.unmatched().empty()) {
    throw UsageError("unexpected argument '" + parsed.unmatched().front() + "'");
  }
}

KerasInputRange parse_keras_input_range(const std::string& text) {
  if (text == "255") return KerasInputRange::k255;
  if (text == "1") return KerasInputRange::k1;
  throw UsageError("--keras-input-range " + text + ": must be 255 (pixels 0-255) or 1 (pixels 0-1)");
}

void print_options(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& options) {
  for (const auto& [key, value] : options) out << key << "=" << value << "\n";
}

int run_cli(const std::string& program, std::ostream& err, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    err << program << ": " << e.what() << "\nTry '" << program << " --help'." << std::endl;
    return 2;
  } catch (const c10::Error& e) {
    err << program << ": " << one_line(e.what_without_backtrace()) << std::endl;
    return 1;
  } catch (const std::exception& e) {
    err << program << ": " << one_line(e.what()) << std::endl;
    return 1;
  } catch (...) {
    err << program << ": unknown failure" << std::endl;
    return 1;
  }
}

}  // namespace mnist
