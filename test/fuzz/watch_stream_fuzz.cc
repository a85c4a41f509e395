// Fuzz target: a Kubernetes watch stream, newline-delimited WatchEvents as the API
// server sends them (and ERROR Status bodies). Every line is parsed as the watch loop
// parses it; nothing may throw or crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "list_watch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (!stream.empty()) {
    const std::size_t end = stream.find('\n');
    std::string line(stream.substr(0, end));
    stream = end == std::string_view::npos ? std::string_view() : stream.substr(end + 1);
    const std::string copy = line;
    feast::kube::WatchEvent event = feast::kube::parse_watch_event(line);
    if (event.kind == feast::kube::WatchEvent::Kind::Error) (void)feast::kube::status_text(event.object.dump());
    (void)feast::kube::status_text(copy);
  }
  return 0;
}
