// Arguments as a POSIX shell reads them back, for commands the tools print for the user to run.
#pragma once

#include <string>
#include <vector>

namespace mnist {

// Bare when that is safe, single-quoted otherwise.
std::string shell_quoted(const std::string& argument);

// The arguments quoted and joined by spaces.
std::string shell_command(const std::vector<std::string>& arguments);

}  // namespace mnist
