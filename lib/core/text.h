// Small text helpers the stages share: printf-style formatting into a std::string, for the
// fixed-width figures the tools print, and splitting at a separator.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace mnist {

template <typename... Args>
std::string format_text(const char* pattern, Args... args) {
  const int size = std::snprintf(nullptr, 0, pattern, args...);
  if (size <= 0) return {};
  std::string text(static_cast<size_t>(size) + 1, '\0');
  std::snprintf(text.data(), text.size(), pattern, args...);
  text.pop_back();
  return text;
}

// Every piece between separators, empty ones included: "a,,b" gives {"a", "", "b"}, "" gives {""}.
inline std::vector<std::string> split_text(const std::string& text, char separator) {
  std::vector<std::string> pieces;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    pieces.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return pieces;
    begin = end + 1;
  }
}

}  // namespace mnist
