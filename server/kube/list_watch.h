// ListWatch: the reflector pattern of client-go, for one resource path (`/api/v1/secrets`,
// `/api/v1/namespaces/NS/secrets`, `/api/v1/namespaces`, ...), on a thread of its own.
//
//   list (paged, limit/continue)  -> sink.list_begin / list_item... / list_end
//   watch from the list's resourceVersion, allowWatchBookmarks=true, timeoutSeconds
//     ADDED / MODIFIED -> sink.applied, DELETED -> sink.deleted,
//     BOOKMARK         -> only the resourceVersion moves,
//     ERROR (a Status, e.g. 410 Gone "too old resource version") -> relist,
//   a watch that ends (server timeout) -> watch again from the last resourceVersion,
//   HTTP 410 on the watch -> relist,
//   any failure (connect, TLS, 5xx, 401, abrupt disconnect, read timeout) -> wait with
//     capped exponential backoff and jitter, then retry (relist if never listed).
//
// synced() turns true after the first complete list and stays true: the sink keeps
// answering from its last state while the API server is away.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "kube_client.h"

namespace feast::kube {

// One line of a watch stream: a WatchEvent {"type": ..., "object": {...}}.
struct WatchEvent {
  enum class Kind { Applied, Deleted, Bookmark, Error, Unknown, Malformed };
  Kind kind = Kind::Malformed;
  std::string type;              // as sent: ADDED, MODIFIED, DELETED, BOOKMARK, ERROR, ...
  nlohmann::json object;         // the event's object (a Status for ERROR)
  std::string resource_version;  // object.metadata.resourceVersion, "" when absent
};

// Parses one line; never throws. Wipes `line` (it may hold Secret data).
WatchEvent parse_watch_event(std::string& line);

// "Status 410 Expired: too old resource version" from a Status body; never more than the
// Status' own code, reason and message.
std::string status_text(const std::string& body);

// Receives the objects of one resource path. Called on the ListWatch thread only.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // A (re)list: list_begin, every object, then list_end: replace what you had with exactly
  // these. A list that fails half-way is not ended; the next list begins afresh.
  virtual void list_begin() = 0;
  virtual void list_item(nlohmann::json& object) = 0;  // may take the object apart
  virtual void list_end() = 0;
  virtual void applied(nlohmann::json& object) = 0;    // ADDED or MODIFIED
  virtual void deleted(nlohmann::json& object) = 0;
};

struct ListWatchOptions {
  std::size_t page_size = 500;
  std::chrono::milliseconds request_timeout{30000};  // connect, TLS, one list page
  // Asked of the API server per watch (timeoutSeconds), randomised in [t, 2t) as
  // client-go does so that replicas do not re-watch in step.
  std::chrono::seconds watch_timeout{300};
  // No byte for this long on a watch (beyond its timeoutSeconds): the connection is dead.
  std::chrono::milliseconds watch_idle_grace{30000};
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_max{30000};
};

class ListWatch {
 public:
  ListWatch(std::shared_ptr<const KubeConfig> config, std::string path, WatchSink& sink,
            ListWatchOptions options = {});
  ~ListWatch();  // stops
  ListWatch(const ListWatch&) = delete;
  ListWatch& operator=(const ListWatch&) = delete;

  void start();
  void stop();  // interrupts any request in progress and joins the thread

  bool synced() const { return synced_.load(); }
  const std::string& path() const { return path_; }
  std::uint64_t lists() const { return lists_.load(); }  // completed lists
  std::string resource_version() const;

 private:
  enum class Outcome { Relist, Rewatch, Failed, Stopped };
  void run();
  Outcome list();
  Outcome watch();
  bool sleep_backoff();  // false when stopping
  void report_failure(const std::string& what);

  std::shared_ptr<const KubeConfig> config_;
  std::string path_;
  WatchSink& sink_;
  ListWatchOptions options_;
  KubeClient client_;

  std::atomic<bool> synced_{false};
  std::atomic<std::uint64_t> lists_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string resource_version_;
  std::chrono::milliseconds backoff_{0};
  std::string last_failure_;  // ListWatch thread only
  std::thread thread_;
};

// Percent-encodes a query parameter value.
std::string query_escape(std::string_view value);

}  // namespace feast::kube
