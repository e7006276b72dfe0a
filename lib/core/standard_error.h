// Standard error belongs to the whole process. Libraries that print their complaints there
// (libpng, libjpeg, OpenCV) would break one-line error messages and mix into a server's log, so
// their calls run with file descriptor 2 pointed at a private file, and what they printed becomes
// part of our message. Because the descriptor is shared, captures take turns, and anything else
// that writes to standard error while several threads run takes the same lock
// (standard_error_mutex), or its lines could end up inside a capture.
// Not for: ordinary output of a tool (the CLI's console streams).
#pragma once

#include <functional>
#include <mutex>
#include <string>

namespace mnist {

std::mutex& standard_error_mutex();

// Runs action with standard error captured and returns the first non-blank line printed meanwhile
// (empty if none). What action throws is rethrown after standard error is restored.
std::string capture_standard_error(const std::function<void()>& action);

// Writes one line to standard error under standard_error_mutex().
void write_error_line(const std::string& line);

}  // namespace mnist
