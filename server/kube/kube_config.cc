#include "kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "secret_manifests.h"  // decode_base64

namespace feast::kube {

namespace fs = std::filesystem;

TokenSource TokenSource::fixed(std::string token) {
  TokenSource t;
  t.token_ = std::move(token);
  return t;
}

TokenSource TokenSource::file(fs::path path) {
  TokenSource t;
  t.path_ = std::move(path);
  return t;
}

TokenSource::TokenSource(const TokenSource& other) { *this = other; }

TokenSource& TokenSource::operator=(const TokenSource& other) {
  if (this == &other) return *this;
  std::scoped_lock lock(mutex_, other.mutex_);
  token_ = other.token_;
  path_ = other.path_;
  mtime_ = other.mtime_;
  size_ = other.size_;
  cached_ = other.cached_;
  return *this;
}

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
  return s.substr(i);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KubeConfigError(path.string() + ": cannot be read");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string TokenSource::current() const {
  if (path_.empty()) return token_;
  std::lock_guard lock(mutex_);
  std::error_code ec;
  auto mtime = fs::last_write_time(path_, ec);
  auto size = ec ? 0 : fs::file_size(path_, ec);
  if (ec) return cached_;  // keep the last token while the kubelet swaps the file
  // Always re-read a file changed in the last two seconds (timestamp granularity).
  bool recent = fs::file_time_type::clock::now() - mtime < std::chrono::seconds(2);
  if (mtime != mtime_ || size != size_ || cached_.empty() || recent) {
    try {
      cached_ = trim(read_file(path_));
      mtime_ = mtime;
      size_ = size;
    } catch (const KubeConfigError&) {
    }
  }
  return cached_;
}

std::string KubeConfig::describe() const {
  bool v6 = host.find(':') != std::string::npos;
  return "https://" + (v6 ? "[" + host + "]" : host) + ":" + port + base_path + " (" + origin + ")";
}

void parse_server_url(const std::string& url, KubeConfig& config) {
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    rest = rest.substr(8);
  } else if (rest.find("://") != std::string::npos) {
    throw KubeConfigError("server " + url + ": only https:// is supported");
  }
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  config.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!config.base_path.empty() && config.base_path.back() == '/') config.base_path.pop_back();
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    std::size_t close = authority.find(']');
    if (close == std::string::npos) throw KubeConfigError("server " + url + ": bad IPv6 address");
    config.host = authority.substr(1, close - 1);
    std::string tail = authority.substr(close + 1);
    config.port = tail.size() > 1 && tail[0] == ':' ? tail.substr(1) : "443";
  } else {
    std::size_t colon = authority.rfind(':');
    config.host = authority.substr(0, colon);
    config.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  }
  if (config.host.empty()) throw KubeConfigError("server " + url + ": no host");
}

KubeConfig in_cluster_config(const fs::path& service_account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0') {
    throw KubeConfigError("not in a cluster: KUBERNETES_SERVICE_HOST is not set");
  }
  KubeConfig config;
  config.host = host;
  config.port = port != nullptr && *port != '\0' ? port : "443";
  config.origin = "in-cluster";
  fs::path token = service_account_dir / "token";
  if (!fs::exists(token)) throw KubeConfigError(token.string() + ": no service-account token");
  config.token = TokenSource::file(token);
  config.ca_pem = read_file(service_account_dir / "ca.crt");
  return config;
}

namespace {

YAML::Node named(const YAML::Node& list, const std::string& name, const char* entry,
                 const std::string& file) {
  if (list && list.IsSequence()) {
    for (const auto& item : list) {
      if (item["name"] && item["name"].IsScalar() && item["name"].Scalar() == name) {
        if (!item[entry] || !item[entry].IsMap()) break;
        return item[entry];
      }
    }
  }
  throw KubeConfigError(file + ": no " + entry + " named \"" + name + "\"");
}

std::string scalar(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

// "<key>-data" (base64) or "<key>" (a file, relative to the kubeconfig's folder).
std::string inline_or_file(const YAML::Node& map, const std::string& key, const fs::path& dir,
                           const std::string& file) {
  std::string data = scalar(map, (key + "-data").c_str());
  if (!data.empty()) {
    auto decoded = decode_base64(data);
    if (!decoded) throw KubeConfigError(file + ": " + key + "-data is not base64");
    return *decoded;
  }
  std::string path = scalar(map, key.c_str());
  if (path.empty()) return {};
  fs::path p(path);
  return read_file(p.is_absolute() ? p : dir / p);
}

}  // namespace

KubeConfig load_kubeconfig(const fs::path& path, const std::string& context) {
  const std::string file = path.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw KubeConfigError(file + ": cannot be read");
  } catch (const YAML::Exception& e) {
    throw KubeConfigError(file + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) throw KubeConfigError(file + ": not a kubeconfig");
  std::string name = context.empty() ? scalar(root, "current-context") : context;
  if (name.empty()) throw KubeConfigError(file + ": no current-context");
  try {
    YAML::Node ctx = named(root["contexts"], name, "context", file);
    YAML::Node cluster = named(root["clusters"], scalar(ctx, "cluster"), "cluster", file);
    fs::path dir = path.parent_path();

    KubeConfig config;
    config.origin = file;
    parse_server_url(scalar(cluster, "server"), config);
    config.ca_pem = inline_or_file(cluster, "certificate-authority", dir, file);
    config.insecure_skip_tls_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";

    std::string user_name = scalar(ctx, "user");
    if (!user_name.empty()) {
      YAML::Node user = named(root["users"], user_name, "user", file);
      if (user["exec"] || user["auth-provider"]) {
        throw KubeConfigError(file + ": user \"" + user_name +
                              "\": exec and auth-provider plugins are not supported; use a "
                              "token or a client certificate");
      }
      std::string token = scalar(user, "token");
      std::string token_file = scalar(user, "tokenFile");
      if (!token.empty()) {
        config.token = TokenSource::fixed(token);
      } else if (!token_file.empty()) {
        fs::path p(token_file);
        config.token = TokenSource::file(p.is_absolute() ? p : dir / p);
      }
      config.client_cert_pem = inline_or_file(user, "client-certificate", dir, file);
      config.client_key_pem = inline_or_file(user, "client-key", dir, file);
      if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
        throw KubeConfigError(file + ": user \"" + user_name +
                              "\": client-certificate and client-key go together");
      }
    }
    return config;
  } catch (const YAML::Exception& e) {
    throw KubeConfigError(file + ": " + e.msg);
  }
}

}  // namespace feast::kube
