// NamespaceFiles: Namespace labels for policy selectors when running without a cluster:
// the Namespace manifests in `--namespace-labels FILE` and in the `--secrets-dir` folder,
// re-read when any of them changes. Other kinds in those files are passed over unread.
#pragma once

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "file_stamp.h"
#include "namespace_index.h"

namespace feast {

class NamespaceFiles {
 public:
  NamespaceFiles(std::vector<std::filesystem::path> paths, std::shared_ptr<NamespaceIndex> index)
      : paths_(std::move(paths)), index_(std::move(index)) {}

  // Re-reads everything when a file appeared, disappeared or changed; marks the index
  // synced after the first look. True when the index was refilled.
  bool poll();

 private:
  std::vector<std::pair<std::filesystem::path, FileStamp>> current_files() const;

  std::vector<std::filesystem::path> paths_;  // files or folders
  std::shared_ptr<NamespaceIndex> index_;
  std::vector<std::pair<std::filesystem::path, FileStamp>> last_seen_;
  bool first_ = true;
};

}  // namespace feast
