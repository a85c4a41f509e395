#include "json_text.h"

#include <nlohmann/json.hpp>

namespace feast {

void append_json_string(std::string& out, std::string_view s) {
  bool plain = true;  // printable ASCII without '"' and '\\': copied as it is
  for (unsigned char c : s) {
    if (c >= 0x80) {  // non-ASCII: nlohmann's escaping, invalid UTF-8 replaced
      out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
    plain = plain && c >= 0x20 && c != '"' && c != '\\';
  }
  out += '"';
  if (plain) {
    out += s;
    out += '"';
    return;
  }
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_strings(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, values[i]);
  }
  out += ']';
}

}  // namespace feast
