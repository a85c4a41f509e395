#include "namespace_files.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "json_log.h"
#include "yaml_load.h"

namespace feast {

namespace fs = std::filesystem;

namespace {

bool is_manifest(const fs::path& p) {
  const auto ext = p.extension();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Only Namespace documents are converted: Secret values in the same files are never
// copied out of the parser.
void read_namespaces(const fs::path& file, std::map<std::string, Labels>& out) {
  try {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    for (const YAML::Node& doc : load_all_yaml(text.str())) {
      if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar() || doc["kind"].Scalar() != "Namespace") continue;
      const YAML::Node meta = doc["metadata"];
      if (!meta || !meta.IsMap() || !meta["name"] || !meta["name"].IsScalar()) continue;
      Labels labels;
      if (const YAML::Node l = meta["labels"]; l && l.IsMap())
        for (const auto& kv : l)
          if (kv.first.IsScalar() && kv.second.IsScalar()) labels[kv.first.Scalar()] = kv.second.Scalar();
      out[meta["name"].Scalar()] = std::move(labels);
    }
  } catch (const YAML::Exception& e) {
    log_event(LogLevel::Warn, "namespace manifests skipped: not valid YAML",
              {{"file", file.string()}, {"line", e.mark.line + 1}});
  }
}

}  // namespace

std::vector<std::pair<fs::path, FileStamp>> NamespaceFiles::current_files() const {
  std::vector<std::pair<fs::path, FileStamp>> files;
  for (const auto& p : paths_) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::directory_iterator(p, ec))
        if (is_manifest(e.path())) files.emplace_back(e.path(), stamp_of(e.path()));
    } else {
      files.emplace_back(p, stamp_of(p));
    }
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return files;
}

bool NamespaceFiles::poll() {
  auto files = current_files();
  if (!first_ && files == last_seen_) return false;
  if (!first_ && !std::all_of(files.begin(), files.end(), [](const auto& f) { return settled(f.second); }))
    return false;  // one is still being written: look again on the next tick
  const bool first = first_;
  first_ = false;
  last_seen_ = files;
  std::map<std::string, Labels> namespaces;
  for (const auto& [path, stamp] : files)
    if (stamp.exists) read_namespaces(path, namespaces);
  const std::size_t count = namespaces.size();
  index_->replace_all(std::move(namespaces));
  index_->mark_synced();
  log_event(LogLevel::Info, first ? "namespace labels loaded" : "namespace labels reloaded", {{"namespaces", count}});
  return true;
}

}  // namespace feast
