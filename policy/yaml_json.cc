#include "yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace feast {
namespace {

// Deeper documents are refused rather than risking the stack.
constexpr int kMaxDepth = 256;

struct TooDeep {
  YAML::Mark mark;
};

nlohmann::json scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted
  static const std::regex null_re("^(~|null|Null|NULL|)$");
  static const std::regex int_re("^[-+]?[0-9]{1,18}$");
  static const std::regex float_re("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
  if (std::regex_match(s, null_re)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, int_re)) return std::stoll(s);
  if (std::regex_match(s, float_re)) return std::stod(s);
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
    for (const auto& doc : YAML::LoadAll(text)) {
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
