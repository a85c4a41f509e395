#include "json_patch.h"

namespace feast {

std::string json_pointer(const JsonTokens& tokens) {
  std::string out;
  for (const auto& token : tokens) {
    out += '/';
    for (char c : token) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
  }
  return out;
}

void JsonPatch::add(const JsonTokens& tokens, nlohmann::json value) {
  ops_.push_back({{"op", "add"}, {"path", json_pointer(tokens)}, {"value", std::move(value)}});
}

}  // namespace feast
