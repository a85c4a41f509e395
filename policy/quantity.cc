#include "quantity.h"

#include <cmath>
#include <string>

namespace feast {
namespace {

// value = mantissa * factor, or mantissa / factor for the sub-unit suffixes (dividing by
// an exact power of ten rounds once; multiplying by 1e-9 would round twice). Every factor
// is exact in a long double, and no std::pow runs per quantity (it showed in profiles:
// persistence sizes are parsed on every request).
struct Suffix {
  std::string_view text;
  long double factor;
  bool divide;
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 0x1p10L, false}, {"Mi", 0x1p20L, false}, {"Gi", 0x1p30L, false},
    {"Ti", 0x1p40L, false}, {"Pi", 0x1p50L, false}, {"Ei", 0x1p60L, false},
    {"n", 1e9L, true},      {"u", 1e6L, true},      {"m", 1e3L, true},
    {"", 1.0L, false},      {"k", 1e3L, false},     {"M", 1e6L, false},
    {"G", 1e9L, false},     {"T", 1e12L, false},    {"P", 1e15L, false},
    {"E", 1e18L, false},
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
      value = sfx.divide ? mantissa / sfx.factor : mantissa * sfx.factor;
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
