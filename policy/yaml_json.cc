#include "yaml_json.h"

#include <yaml-cpp/yaml.h>

#include "yaml_load.h"

#include <fstream>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace feast {
namespace {

// Deeper documents are refused rather than risking the stack.
constexpr int kMaxDepth = 256;

struct TooDeep {
  YAML::Mark mark;
};

enum class NumberShape { None, Integer, Float };

// YAML 1.2 core schema: [-+]?[0-9]+ is an integer (up to 18 digits, so it fits),
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? a float.
NumberShape number_shape(const std::string& s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t whole = digits();
  if (i == s.size()) return whole > 0 && whole <= 18 ? NumberShape::Integer : whole > 0 ? NumberShape::Float : NumberShape::None;
  std::size_t fraction = 0;
  if (s[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (whole == 0 && fraction == 0) return NumberShape::None;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return NumberShape::None;
  }
  return i == s.size() ? NumberShape::Float : NumberShape::None;
}

nlohmann::json scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  switch (number_shape(s)) {
    case NumberShape::Integer: return std::strtoll(s.c_str(), nullptr, 10);
    case NumberShape::Float: {
      const double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d)) return d;
      return s;  // out of range: keep the text rather than invent a value
    }
    case NumberShape::None: break;
  }
  return s;
}

nlohmann::json convert(const YAML::Node& node, int depth) {
  if (depth > kMaxDepth) throw TooDeep{node.Mark()};
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = convert(kv.second, depth + 1);
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(convert(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Scalar: return scalar(node);
    default: return nullptr;
  }
}

}  // namespace

YamlLoad parse_yaml(const std::string& text, const std::string& name) {
  YamlLoad out;
  try {
    for (const auto& doc : load_all_yaml(text)) {
      if (doc.IsNull()) continue;
      out.documents.push_back(convert(doc, 0));
    }
  } catch (const TooDeep& e) {
    out.documents.clear();
    out.error = name + ":" + std::to_string(e.mark.line + 1) + ": nested deeper than " + std::to_string(kMaxDepth) + " levels";
  } catch (const YAML::Exception& e) {
    out.documents.clear();
    out.error = name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg;
  }
  return out;
}

namespace {

void emit(YAML::Emitter& out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [k, item] : v.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : v) emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      // Quote what a YAML reader would take for a null, bool or number.
      const YamlLoad back = parse_yaml(s, "");
      const bool ambiguous = back.documents.size() != 1 || !back.documents[0].is_string() ||
                             back.documents[0].get_ref<const std::string&>() != s;
      if (ambiguous) out << YAML::DoubleQuoted << s;
      else out << s;
      break;
    }
    case nlohmann::json::value_t::null: out << YAML::Null; break;
    case nlohmann::json::value_t::boolean: out << v.get<bool>(); break;
    default: out << v.dump(); break;
  }
}

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

YamlLoad load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {{}, path + ": cannot read the file"};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_yaml(text.str(), path);
}

}  // namespace feast
