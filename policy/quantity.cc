#include "quantity.h"

#include <cmath>
#include <string>

namespace feast {
namespace {

struct Suffix {
  std::string_view text;
  int base;      // 2 or 10
  int exponent;  // power of base
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// Grammar: <signedNumber><suffix>, signedNumber = [+-] (digits [. digits] | . digits),
// suffix = binarySI | decimalSI | (e|E) [+-] digits.
std::optional<long double> parse_quantity(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  const std::string number(s.substr(0, i));
  const std::string_view suffix = s.substr(i);
  long double mantissa = std::strtold(number.c_str(), nullptr);
  long double value = 0;
  bool matched = false;
  for (const auto& sfx : kSuffixes) {
    if (sfx.text == suffix) {
      value = mantissa * std::pow(static_cast<long double>(sfx.base), sfx.exponent);
      matched = true;
      break;
    }
  }
  if (!matched) {
    if (suffix.empty() || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
    std::size_t j = 1;
    if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
    if (j == suffix.size() || suffix.size() - j > 4) return std::nullopt;
    for (std::size_t k = j; k < suffix.size(); ++k)
      if (!is_digit(suffix[k])) return std::nullopt;
    const int exponent = std::stoi(std::string(suffix.substr(1)));
    value = mantissa * std::pow(10.0L, exponent);
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace feast
