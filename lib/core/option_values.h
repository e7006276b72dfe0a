// Turning option text into numbers with messages that name the option, shared by the CLIs
// (cxxopts' own conversion errors do not say which option was wrong).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mnist {

// A whole decimal number, e.g. "--epochs" "50". Throws UsageError "--epochs abc: not an integer".
int64_t parse_integer_option(const std::string& option, const std::string& text);

// A finite decimal number, e.g. "--lr" "1e-3". Throws UsageError for text, NaN, infinities
// and values beyond double's range.
double parse_real_option(const std::string& option, const std::string& text);

// Throws UsageError "--<option> <value>: <rule>" unless ok, e.g. "--epochs 0: must be an
// integer from 1 to 100000".
void require_option(bool ok, const std::string& option, const std::string& value, const std::string& rule);

// A number as --help and the start banner show it: the stream's shortest form ("0.001", "1e-05").
std::string option_value_text(double value);

// A value already parsed that must be a probability: throws UsageError
// "--uncertain-below 1.5: must be a probability from 0 to 1" otherwise.
void check_probability_option(const std::string& option, double value);

// "300,100" -> {300, 100}. Throws UsageError naming --hidden for anything else.
std::vector<int64_t> parse_hidden_sizes(const std::string& text);
// {300, 100} -> "300,100", as --hidden takes it.
std::string format_hidden_sizes(const std::vector<int64_t>& sizes);

}  // namespace mnist
