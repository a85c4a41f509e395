#include "list_watch.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <random>

#include "secret_facts.h"  // wipe

namespace feast::kube {

using nlohmann::json;
using std::chrono::milliseconds;

std::string query_escape(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

std::string rv_of(const json& object) {
  const json* md = object.is_object() && object.contains("metadata") ? &object["metadata"] : nullptr;
  if (md == nullptr || !md->is_object()) return {};
  auto it = md->find("resourceVersion");
  return it != md->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string status_text(const std::string& body) {
  json status = json::parse(body, nullptr, false);
  if (!status.is_object()) return "non-Status body";
  const auto code = status.find("code");
  std::string text = "Status " + (code != status.end() && code->is_number_integer() ? std::to_string(code->get<long long>()) : std::string("?"));
  if (status.contains("reason") && status["reason"].is_string()) text += " " + status["reason"].get<std::string>();
  if (status.contains("message") && status["message"].is_string()) text += ": " + status["message"].get<std::string>();
  return text;
}

WatchEvent parse_watch_event(std::string& line) {
  WatchEvent e;
  json event = json::parse(line, nullptr, false);
  wipe(line);
  if (!event.is_object()) return e;
  const auto type = event.find("type");
  const auto object = event.find("object");
  if (type == event.end() || !type->is_string() || object == event.end() || !object->is_object()) return e;
  e.type = type->get<std::string>();
  e.object = std::move(*object);
  e.resource_version = rv_of(e.object);
  if (e.type == "ADDED" || e.type == "MODIFIED") e.kind = WatchEvent::Kind::Applied;
  else if (e.type == "DELETED") e.kind = WatchEvent::Kind::Deleted;
  else if (e.type == "BOOKMARK") e.kind = WatchEvent::Kind::Bookmark;
  else if (e.type == "ERROR") e.kind = WatchEvent::Kind::Error;
  else e.kind = WatchEvent::Kind::Unknown;
  return e;
}

ListWatch::ListWatch(std::shared_ptr<const KubeConfig> config, std::string path, WatchSink& sink,
                     ListWatchOptions options)
    : config_(config), path_(std::move(path)), sink_(sink), options_(options), client_(config) {}

ListWatch::~ListWatch() { stop(); }

void ListWatch::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

void ListWatch::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  client_.interrupt();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ListWatch::resource_version() const {
  std::lock_guard lock(mutex_);
  return resource_version_;
}

// The first failure of a kind is a warning; the same failure again while retrying is
// debug, so an API server outage does not flood the log.
void ListWatch::report_failure(const std::string& what) {
  if (what == last_failure_) {
    spdlog::debug("kube {}: {} (retrying)", path_, what);
  } else {
    spdlog::warn("kube {}: {}; retrying with backoff", path_, what);
    last_failure_ = what;
  }
}

bool ListWatch::sleep_backoff() {
  auto base = backoff_.count() == 0 ? options_.backoff_initial
                                    : std::min(backoff_ * 2, options_.backoff_max);
  backoff_ = base;
  // Jitter: somewhere in [base/2, base].
  std::uniform_int_distribution<long long> jitter(base.count() / 2, std::max<long long>(base.count(), 1));
  milliseconds wait(jitter(rng()));
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, wait, [this] { return stop_; });
}

void ListWatch::run() {
  bool need_list = true;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    Outcome outcome = need_list ? list() : watch();
    switch (outcome) {
      case Outcome::Stopped: return;
      case Outcome::Relist:
        need_list = true;
        continue;
      case Outcome::Rewatch:
        need_list = false;
        continue;
      case Outcome::Failed:
        if (!sleep_backoff()) return;
        continue;
    }
  }
}

ListWatch::Outcome ListWatch::list() {
  std::string continue_token;
  bool began = false;
  for (;;) {
    std::string target = path_ + "?limit=" + std::to_string(options_.page_size);
    if (!continue_token.empty()) target += "&continue=" + query_escape(continue_token);
    HttpResult r = client_.get(target, options_.request_timeout);
    if (client_.interrupted()) return Outcome::Stopped;
    if (r.status == 410 && !continue_token.empty()) {
      // The continue token expired between pages: list again from the start.
      spdlog::warn("kube {}: list continuation expired, listing again", path_);
      continue_token.clear();
      began = false;
      continue;
    }
    if (!r.ok()) {
      report_failure("list failed: " + (r.status == 0 ? r.error
                                                      : "HTTP " + std::to_string(r.status) + ": " +
                                                            status_text(r.body)));
      return Outcome::Failed;
    }
    json page = json::parse(r.body, nullptr, false);
    wipe(r.body);
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array()) {
      spdlog::warn("kube {}: list response is not a List", path_);
      return Outcome::Failed;
    }
    if (!began) {
      sink_.list_begin();
      began = true;
    }
    for (auto& item : page["items"]) sink_.list_item(item);
    page["items"] = json::array();  // drop the objects (and their values) at once
    const json& md = page.contains("metadata") ? page["metadata"] : json::object();
    continue_token = md.is_object() ? md.value("continue", std::string()) : std::string();
    if (continue_token.empty()) {
      std::string rv = rv_of(page);
      sink_.list_end();
      {
        std::lock_guard lock(mutex_);
        resource_version_ = rv;
      }
      lists_.fetch_add(1);
      if (!synced_.exchange(true)) {
        spdlog::info("kube {}: synced from {} (resourceVersion {})", path_, config_->describe(), rv);
      } else if (!last_failure_.empty()) {
        spdlog::info("kube {}: listed again after: {}", path_, last_failure_);
      }
      last_failure_.clear();
      backoff_ = milliseconds(0);
      return Outcome::Rewatch;
    }
  }
}

ListWatch::Outcome ListWatch::watch() {
  std::uniform_int_distribution<long long> spread(options_.watch_timeout.count(),
                                                  2 * options_.watch_timeout.count());
  long long timeout_s = options_.watch_timeout.count() > 0 ? spread(rng()) : 0;
  std::string target = path_ + "?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                       query_escape(resource_version()) +
                       "&timeoutSeconds=" + std::to_string(timeout_s);
  HttpResult r = client_.open_stream(target, options_.request_timeout);
  if (client_.interrupted()) return Outcome::Stopped;
  if (r.status == 410) {
    spdlog::info("kube {}: watch: {}; listing again", path_, status_text(r.body));
    return Outcome::Relist;
  }
  if (!r.ok()) {
    report_failure("watch failed: " + (r.status == 0 ? r.error
                                                      : "HTTP " + std::to_string(r.status) + ": " +
                                                            status_text(r.body)));
    return Outcome::Failed;
  }
  milliseconds idle = milliseconds(timeout_s * 1000) + options_.watch_idle_grace;
  std::string line, error;
  std::size_t events = 0;
  for (;;) {
    KubeClient::LineResult got = client_.read_line(line, idle, error);
    if (client_.interrupted()) return Outcome::Stopped;
    if (got == KubeClient::LineResult::End) {
      client_.close();
      return Outcome::Rewatch;  // the server's timeoutSeconds: watch on from here
    }
    if (got == KubeClient::LineResult::Failed) {
      client_.close();
      spdlog::warn("kube {}: watch interrupted: {}", path_, error);
      return events > 0 ? Outcome::Rewatch : Outcome::Failed;
    }
    if (line.empty() || line == "\r") continue;
    WatchEvent event = parse_watch_event(line);
    switch (event.kind) {
      case WatchEvent::Kind::Malformed:
        spdlog::warn("kube {}: watch sent something that is not a WatchEvent; listing again", path_);
        client_.close();
        return Outcome::Relist;
      case WatchEvent::Kind::Error:
        spdlog::info("kube {}: watch error event: {}; listing again", path_, status_text(event.object.dump()));
        client_.close();
        return Outcome::Relist;
      case WatchEvent::Kind::Applied: sink_.applied(event.object); break;
      case WatchEvent::Kind::Deleted: sink_.deleted(event.object); break;
      case WatchEvent::Kind::Bookmark: break;
      case WatchEvent::Kind::Unknown: spdlog::warn("kube {}: unknown watch event type {}", path_, event.type); break;
    }
    if (!event.resource_version.empty()) {
      std::lock_guard lock(mutex_);
      resource_version_ = event.resource_version;
    }
    ++events;
    backoff_ = milliseconds(0);
    last_failure_.clear();
  }
}

}  // namespace feast::kube
