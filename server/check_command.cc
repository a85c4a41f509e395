#include "check_command.h"

#include <filesystem>
#include <ostream>

#include "decision.h"
#include "namespace_index.h"
#include "policy_file.h"
#include "secret_manifests.h"
#include "yaml_json.h"

namespace feast {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The webhook names of manifests/base, as kubectl would name them in a denial.
constexpr const char* kValidatingWebhook = "validate.featurestores.feast.dev";

struct Object {
  json body;
  std::string file;
};

bool is_feature_store(const json& doc) {
  const std::string api = doc.value("apiVersion", "");
  return doc.value("kind", "") == "FeatureStore" && (api == "feast.dev/v1" || api == "feast.dev/v1alpha1");
}

// Documents of a file, with List items expanded.
void collect(const json& doc, const std::string& file, std::vector<Object>& out) {
  if (!doc.is_object()) return;
  if (doc.value("kind", "").ends_with("List") && doc.contains("items") && doc["items"].is_array()) {
    for (const auto& item : doc["items"]) collect(item, file, out);
    return;
  }
  out.push_back({doc, file});
}

std::vector<std::string> manifest_files(const std::string& file_or_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(file_or_dir, ec)) {
    for (const auto& e : fs::directory_iterator(file_or_dir, ec)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(file_or_dir);
  }
  return out;
}

std::string string_at(const json& obj, const char* a, const char* b) {
  auto x = obj.find(a);
  if (x == obj.end() || !x->is_object()) return "";
  auto y = x->find(b);
  return y != x->end() && y->is_string() ? y->get<std::string>() : "";
}

class Checker {
 public:
  Checker(const CheckOptions& options, std::ostream& report, std::ostream& objects)
      : options_(options), report_(report), objects_(objects) {}

  int run() {
    if (options_.files.empty()) return usage("no input: give one or more -f FILE");
    if (options_.output && *options_.output != "yaml" && *options_.output != "json")
      return usage("-o must be yaml or json, not \"" + *options_.output + "\"");
    if (!load_policy() || !load_secrets()) return kCheckBadInput;
    std::vector<Object> inputs;
    for (const auto& file : options_.files) {
      YamlLoad load = load_yaml_file(file);
      if (!load.ok()) return usage(load.error);
      for (const auto& doc : load.documents) collect(doc, file, inputs);
    }
    for (const auto& o : inputs)
      if (auto ns = namespace_from_object(o.body)) namespaces_.upsert(ns->first, ns->second);
    int checked = 0;
    bool denied = false;
    json defaulted = json::array();
    for (const auto& o : inputs) {
      if (!is_feature_store(o.body)) continue;
      ++checked;
      denied = !check(o, defaulted) || denied;
    }
    if (checked == 0) return usage("no FeatureStore (feast.dev/v1 or v1alpha1) found in the input");
    print_objects(defaulted);
    return denied ? kCheckDenied : kCheckAllowed;
  }

 private:
  int usage(const std::string& message) {
    report_ << "error: " << message << "\n";
    return kCheckBadInput;
  }

  bool load_policy() {
    if (!options_.policy) return true;
    PolicyLoad load = load_policy_file(*options_.policy);
    if (!load.ok()) {
      report_ << "error: " << load.error << "\n";
      return false;
    }
    policy_ = std::move(*load.policy);
    return true;
  }

  bool load_secrets() {
    if (!options_.secrets) return true;
    std::error_code ec;
    if (!fs::exists(*options_.secrets, ec)) {
      report_ << "error: " << *options_.secrets << ": no such file or folder\n";
      return false;
    }
    std::vector<std::string> problems;
    secrets_ = load_secret_index(*options_.secrets, &problems);
    for (const auto& p : problems) report_ << "error: " << p << "\n";
    if (!problems.empty()) return false;
    // Namespace manifests beside the Secrets give labels to policy rule selectors.
    for (const auto& file : manifest_files(*options_.secrets)) {
      YamlLoad load = load_yaml_file(file);
      for (const auto& doc : load.documents) {
        std::vector<Object> objs;
        collect(doc, file, objs);
        for (const auto& o : objs)
          if (auto ns = namespace_from_object(o.body)) namespaces_.upsert(ns->first, ns->second);
      }
    }
    return true;
  }

  // One FeatureStore: mutate, apply the patch, validate; print as kubectl would.
  bool check(const Object& o, json& defaulted) {
    const std::string api = o.body["apiVersion"];
    std::string ns = string_at(o.body, "metadata", "namespace");
    if (ns.empty()) ns = options_.namespace_name.value_or("default");
    AdmissionInput in;
    in.operation = "CREATE";
    in.group = "feast.dev";
    in.version = api.substr(api.find('/') + 1);
    in.kind = "FeatureStore";
    in.namespace_name = ns;
    in.name = string_at(o.body, "metadata", "name");
    in.dry_run = true;
    in.object = &o.body;
    DecisionContext ctx{policy_, &namespaces_, secrets_.get()};

    Decision m = decide(Webhook::Mutate, in, ctx);
    json object = o.body;
    if (!m.patch.empty()) object = object.patch(m.patch);
    if (object.contains("metadata") && object["metadata"].is_object()) object["metadata"]["namespace"] = ns;
    in.object = &object;
    Decision v = decide(Webhook::Validate, in, ctx);

    for (const auto& w : v.warnings) report_ << "Warning: " << w << "\n";
    const std::string ref = "featurestore.feast.dev/" + in.name + " (namespace " + ns + ", " + o.file + ")";
    if (!v.allowed) {
      report_ << "Error from server (" << (v.reason.empty() ? "Invalid" : v.reason) << "): error when creating \""
              << o.file << "\": admission webhook \"" << kValidatingWebhook << "\" denied the request: " << v.message << "\n";
      return false;
    }
    report_ << ref << " allowed";
    if (auto it = m.audit_annotations.find("defaulted"); it != m.audit_annotations.end())
      report_ << " (defaulted: " << it->second << ")";
    report_ << "\n";
    if (auto it = v.audit_annotations.find("policy-audit"); it != v.audit_annotations.end())
      report_ << "Audit: " << it->second << "\n";
    defaulted.push_back(std::move(object));
    return true;
  }

  void print_objects(const json& list) {
    if (!options_.output || list.empty()) return;
    if (*options_.output == "json") {
      objects_ << (list.size() == 1 ? list[0] : json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", list}}).dump(2) << "\n";
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) objects_ << (i ? "---\n" : "") << to_yaml(list[i]);
  }

  const CheckOptions& options_;
  std::ostream& report_;
  std::ostream& objects_;
  Policy policy_ = Policy::builtin();
  std::shared_ptr<SecretIndex> secrets_;
  NamespaceIndex namespaces_;
};

}  // namespace

int run_check(const CheckOptions& options, std::ostream& report, std::ostream& objects) {
  return Checker(options, report, objects).run();
}

}  // namespace feast
