#include "secret_dir_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace feast {

namespace fs = std::filesystem;

namespace {

bool same_secrets(const std::vector<ManifestSecret>& a, const std::vector<ManifestSecret>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.ns == y.ns && x.name == y.name && x.facts->keys() == y.facts->keys();
  });
}

}  // namespace

SecretDirSource::SecretDirSource(fs::path dir, std::shared_ptr<SecretIndex> index,
                                 std::chrono::milliseconds poll_interval)
    : dir_(std::move(dir)), index_(std::move(index)), poll_interval_(poll_interval) {}

SecretDirSource::~SecretDirSource() { stop(); }

bool SecretDirSource::scan() {
  std::lock_guard scan_lock(scan_mutex_);
  std::error_code ec;
  std::map<std::string, std::pair<fs::file_time_type, std::uintmax_t>> seen;
  bool readable = true;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    readable = false;
    if (!dir_error_logged_) {
      spdlog::error("secrets dir {}: cannot be read: {}", dir_.string(), ec.message());
      dir_error_logged_ = true;
    }
  } else {
    dir_error_logged_ = false;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::path& p = it->path();
      std::string ext = p.extension().string();
      if (p.filename().string().front() == '.') continue;  // editor swap files, ..data links
      if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
      std::error_code fec;
      if (!fs::is_regular_file(p, fec)) continue;  // follows symlinks (ConfigMap-style mounts)
      auto mtime = fs::last_write_time(p, fec);
      auto size = fs::file_size(p, fec);
      if (fec) continue;
      seen.emplace(p.string(), std::make_pair(mtime, size));
    }
  }

  bool changed = !scanned_;
  // Drop files that are gone; re-read new and changed ones.
  for (auto f = files_.begin(); f != files_.end();) {
    if (readable && seen.count(f->first) == 0) {
      spdlog::info("secrets dir: {} removed", f->first);
      f = files_.erase(f);
      changed = true;
    } else {
      ++f;
    }
  }
  for (const auto& [path, stamp] : seen) {
    auto f = files_.find(path);
    // A file written twice within the file system's timestamp granularity keeps its
    // mtime: files modified in the last two seconds are re-read on every poll (as git
    // treats "racily clean" files) and count as changed only if their facts differ.
    bool recent = fs::file_time_type::clock::now() - stamp.first < std::chrono::seconds(2);
    if (f != files_.end() && f->second.mtime == stamp.first && f->second.size == stamp.second &&
        !recent) {
      continue;
    }
    FileState state{stamp.first, stamp.second, {}};
    bool ok = true;
    std::string problem;
    try {
      state.secrets = read_secret_file(path);
    } catch (const SecretManifestError& e) {
      ok = false;
      problem = e.what();
    }
    if (f != files_.end() && f->second.ok == ok && same_secrets(f->second.secrets, state.secrets)) {
      f->second.mtime = state.mtime;
      f->second.size = state.size;
      continue;
    }
    if (ok) {
      spdlog::info("secrets dir: loaded {} Secret(s) from {}", state.secrets.size(), path);
    } else {
      spdlog::error("secrets dir: skipping broken file: {}", problem);
    }
    state.ok = ok;
    files_[path] = std::move(state);
    changed = true;
  }

  if (changed) {
    SecretIndex::Snapshot snapshot;
    for (const auto& [path, state] : files_) {  // sorted: the last file wins
      for (const auto& s : state.secrets) snapshot[s.ns][s.name] = s.facts;
    }
    index_->replace_all(std::move(snapshot));
    std::lock_guard lock(mutex_);
    ++reloads_;
  }
  scanned_ = true;
  index_->mark_synced();
  return readable;
}

void SecretDirSource::start() {
  if (!scanned_) scan();
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void SecretDirSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t SecretDirSource::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

void SecretDirSource::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, poll_interval_, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    scan();
    lock.lock();
  }
}

}  // namespace feast
