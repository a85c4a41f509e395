#include "secret_manifests.h"

#include <yaml-cpp/yaml.h>

#include "yaml_load.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace feast {
namespace {

std::string scalar_or_empty(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

void read_secret(const YAML::Node& doc, std::string_view source, std::size_t index,
                 std::vector<ManifestSecret>& out) {
  if (!doc.IsMap() || scalar_or_empty(doc["kind"]) != "Secret") return;
  const YAML::Node metadata = doc["metadata"];
  std::string name = metadata && metadata.IsMap() ? scalar_or_empty(metadata["name"]) : "";
  std::string ns = metadata && metadata.IsMap() ? scalar_or_empty(metadata["namespace"]) : "";
  if (ns.empty()) ns = "default";
  std::string where = std::string(source) + ": document " + std::to_string(index + 1);
  if (name.empty()) throw SecretManifestError(where + ": Secret without metadata.name");
  where += ": Secret " + ns + "/" + name;

  std::map<std::string, std::string> values;
  auto each_value = [&](const char* field, auto&& take) {
    const YAML::Node block = doc[field];
    if (!block || block.IsNull()) return;
    if (!block.IsMap()) throw SecretManifestError(where + ": " + field + " is not a mapping");
    for (const auto& kv : block) {
      std::string key = scalar_or_empty(kv.first);
      if (key.empty()) throw SecretManifestError(where + ": " + field + " has an empty key");
      if (!kv.second.IsScalar() && !kv.second.IsNull()) {
        throw SecretManifestError(where + ": " + field + "[" + quote(key) + "] is not a string");
      }
      take(key, kv.second.IsNull() ? std::string() : kv.second.Scalar());
    }
  };
  try {
    each_value("data", [&](const std::string& key, std::string encoded) {
      std::optional<std::string> decoded = decode_base64(encoded);
      wipe(encoded);
      if (!decoded) throw SecretManifestError(where + ": data[" + quote(key) + "] is not base64");
      wipe(values[key]);
      values[key] = std::move(*decoded);
    });
    each_value("stringData", [&](const std::string& key, std::string plain) {
      wipe(values[key]);
      values[key] = std::move(plain);  // stringData wins, as the API server merges it
    });
  } catch (...) {
    for (auto& [k, v] : values) wipe(v);
    throw;
  }
  out.push_back({std::move(ns), std::move(name),
                 std::make_shared<const SecretFacts>(reduce_secret(values))});
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  static const auto table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
    return t;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0 || padding) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a dangling single character
  return out;
}

std::vector<ManifestSecret> read_secret_manifests(std::string& text, std::string_view source) {
  std::vector<ManifestSecret> out;
  try {
    std::vector<YAML::Node> docs = load_all_yaml(text);
    wipe(text);
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const YAML::Node& doc = docs[i];
      if (doc.IsMap() && doc["items"] && doc["items"].IsSequence()) {  // a List
        std::size_t n = 0;
        for (const auto& item : doc["items"]) read_secret(item, source, n++, out);
      } else if (doc.IsSequence()) {  // a JSON array of objects
        std::size_t n = 0;
        for (const auto& item : doc) read_secret(item, source, n++, out);
      } else {
        read_secret(doc, source, i, out);
      }
    }
  } catch (const SecretManifestError&) {
    wipe(text);
    throw;
  } catch (const YAML::Exception& e) {
    wipe(text);
    // yaml-cpp's messages are fixed texts ("end of map not found"); the mark says where.
    std::string where = std::string(source);
    if (!e.mark.is_null()) {
      where += ": line " + std::to_string(e.mark.line + 1) + ", column " +
               std::to_string(e.mark.column + 1);
    }
    throw SecretManifestError(where + ": not valid YAML: " + e.msg);
  } catch (const std::exception&) {
    wipe(text);
    throw SecretManifestError(std::string(source) + ": cannot be read as Secret manifests");
  }
  return out;
}

std::vector<ManifestSecret> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SecretManifestError(path + ": cannot be opened");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  std::string leftover = buffer.str();  // ostringstream keeps a copy: wipe that one too
  wipe(leftover);
  buffer.str(std::string());
  return read_secret_manifests(text, path);
}

std::shared_ptr<SecretIndex> load_secret_index(const std::string& file_or_dir,
                                               std::vector<std::string>* problems) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(file_or_dir, ec)) {
    for (const auto& entry : fs::directory_iterator(file_or_dir, ec)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(file_or_dir);
  }
  SecretIndex::Snapshot snapshot;
  for (const auto& f : files) {
    try {
      for (auto& s : read_secret_file(f)) snapshot[s.ns][s.name] = std::move(s.facts);
    } catch (const SecretManifestError& e) {
      if (problems != nullptr) problems->push_back(e.what());
    }
  }
  auto index = std::make_shared<SecretIndex>();
  index->replace_all(std::move(snapshot));
  index->mark_synced();
  return index;
}

}  // namespace feast
