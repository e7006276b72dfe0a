// Turning option text into numbers with messages that name the option, shared by the CLIs
// (cxxopts' own conversion errors do not say which option was wrong).
#pragma once

#include <cstdint>
#include <string>

namespace mnist {

// A whole decimal number, e.g. "--epochs" "50". Throws UsageError "--epochs abc: not an integer".
int64_t parse_integer_option(const std::string& option, const std::string& text);

// A finite decimal number, e.g. "--lr" "1e-3". Throws UsageError for text, NaN, infinities
// and values beyond double's range.
double parse_real_option(const std::string& option, const std::string& text);

}  // namespace mnist
