// Shell quoting; see shell_quote.h.
#include "core/shell_quote.h"

namespace mnist {

std::string shell_quoted(const std::string& argument) {
  const bool bare = !argument.empty() &&
                    argument.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789_-+=.,/:@%") == std::string::npos;
  if (bare) return argument;
  std::string quoted = "'";
  for (const char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string shell_command(const std::vector<std::string>& arguments) {
  std::string command;
  for (const auto& argument : arguments) command += (command.empty() ? "" : " ") + shell_quoted(argument);
  return command;
}

}  // namespace mnist
