// SecretDirSource: the embedded Secret source (`--secrets-dir DIR`), for running without
// a cluster. Reads every *.yaml / *.yml / *.json file of DIR (not recursive) as Secret
// manifests, fills a SecretIndex with their facts, and polls the folder so that a change
// is served within a second. A broken file is logged with its name (never its content)
// and skipped; the other files stay served. When two files define the same Secret, the
// file that sorts last wins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "secret_facts.h"
#include "secret_manifests.h"

namespace feast {

class SecretDirSource {
 public:
  SecretDirSource(std::filesystem::path dir, std::shared_ptr<SecretIndex> index,
                  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500));
  ~SecretDirSource();  // stops the thread
  SecretDirSource(const SecretDirSource&) = delete;
  SecretDirSource& operator=(const SecretDirSource&) = delete;

  // Scans once, now, and marks the index synced (also when the folder is missing or
  // empty: an empty source is a valid answer). Returns false if the folder cannot be read.
  bool scan();
  // Starts the polling thread (scan() first if not yet done).
  void start();
  void stop();

  std::size_t reloads() const;  // scans that changed the index, for tests and metrics

 private:
  struct FileState {
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    std::vector<ManifestSecret> secrets;  // empty when broken
    bool ok = true;
  };

  void run();

  std::filesystem::path dir_;
  std::shared_ptr<SecretIndex> index_;
  std::chrono::milliseconds poll_interval_;
  std::map<std::string, FileState> files_;  // touched by scan() only
  bool scanned_ = false;
  bool dir_error_logged_ = false;

  mutable std::mutex mutex_;  // guards stop_, reloads_ and serialises scan()
  std::condition_variable wake_;
  bool stop_ = false;
  std::size_t reloads_ = 0;
  std::mutex scan_mutex_;
  std::thread thread_;
};

}  // namespace feast
