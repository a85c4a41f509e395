#include "kube_secret_source.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <map>

#include "secret_manifests.h"  // decode_base64

namespace feast::kube {

using nlohmann::json;

namespace {

std::string metadata_string(const json& object, const char* key) {
  auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return {};
  auto v = md->find(key);
  return v != md->end() && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::shared_ptr<const SecretFacts> secret_facts_of(json& secret) {
  if (!secret.is_object() || metadata_string(secret, "name").empty()) return nullptr;
  std::map<std::string, std::string> values;
  auto data = secret.find("data");
  if (data != secret.end() && data->is_object()) {
    for (auto& [key, encoded] : data->items()) {
      if (!encoded.is_string()) continue;
      std::string& text = encoded.get_ref<std::string&>();
      std::optional<std::string> decoded = decode_base64(text);
      wipe(text);
      // The API server only stores valid base64; keep the key (V7 names it) either way.
      values[key] = decoded ? std::move(*decoded) : std::string();
    }
    *data = json::object();
  }
  return std::make_shared<const SecretFacts>(reduce_secret(values));
}

std::vector<std::string> split_namespaces(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && cur.back() == ' ') cur.pop_back();
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (char c : list) {
    if (c == ',') {
      flush();
    } else if (c != ' ' || !cur.empty()) {
      cur += c;
    }
  }
  flush();
  return out;
}

// One watched scope (a namespace, or all of them) and its sink into the index.
class KubeSecretSource::Scope final : public WatchSink {
 public:
  Scope(std::shared_ptr<const KubeConfig> config, SecretIndex& index, std::string ns,
        const ListWatchOptions& options, std::function<void()> on_synced)
      : index_(index),
        ns_(std::move(ns)),
        on_synced_(std::move(on_synced)),
        watch_(std::move(config),
               ns_.empty() ? "/api/v1/secrets" : "/api/v1/namespaces/" + ns_ + "/secrets", *this,
               options) {}

  ListWatch& watch() { return watch_; }

  void list_begin() override { staging_.clear(); }
  void list_item(json& object) override {
    std::string ns = metadata_string(object, "namespace");
    std::string name = metadata_string(object, "name");
    if (auto facts = secret_facts_of(object)) staging_[ns.empty() ? ns_ : ns][name] = std::move(facts);
  }
  void list_end() override {
    if (ns_.empty()) {
      index_.replace_all(std::move(staging_));
    } else {
      index_.replace_namespace(ns_, std::move(staging_[ns_]));
    }
    staging_.clear();
    if (!listed_) {
      listed_ = true;
      on_synced_();
    }
  }
  void applied(json& object) override {
    std::string ns = metadata_string(object, "namespace");
    std::string name = metadata_string(object, "name");
    if (auto facts = secret_facts_of(object)) index_.upsert(ns.empty() ? ns_ : ns, name, std::move(facts));
  }
  void deleted(json& object) override {
    std::string ns = metadata_string(object, "namespace");
    index_.erase(ns.empty() ? ns_ : ns, metadata_string(object, "name"));
  }

 private:
  SecretIndex& index_;
  std::string ns_;  // empty: all namespaces
  std::function<void()> on_synced_;
  SecretIndex::Snapshot staging_;
  bool listed_ = false;
  ListWatch watch_;  // last: its thread uses the members above
};

KubeSecretSource::KubeSecretSource(std::shared_ptr<const KubeConfig> config,
                                   std::shared_ptr<SecretIndex> index,
                                   KubeSecretSourceOptions options)
    : index_(std::move(index)) {
  std::vector<std::string> scopes = options.namespaces;
  if (scopes.empty()) scopes.push_back("");
  auto remaining = std::make_shared<std::atomic<std::size_t>>(scopes.size());
  for (const auto& ns : scopes) {
    auto on_synced = [remaining, index = index_] {
      if (remaining->fetch_sub(1) == 1) index->mark_synced();
    };
    scopes_.push_back(std::make_unique<Scope>(config, *index_, ns, options.list_watch, on_synced));
  }
}

KubeSecretSource::~KubeSecretSource() { stop(); }

void KubeSecretSource::start() {
  for (auto& s : scopes_) s->watch().start();
}

void KubeSecretSource::stop() {
  for (auto& s : scopes_) s->watch().stop();
}

std::uint64_t KubeSecretSource::lists() const {
  std::uint64_t total = 0;
  for (const auto& s : scopes_) total += s->watch().lists();
  return total;
}

}  // namespace feast::kube
