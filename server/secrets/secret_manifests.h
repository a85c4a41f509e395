// Secret manifests as kubectl writes them (YAML, multi-document, or JSON; a Secret, a
// List of Secrets), reduced to SecretFacts on the spot. `data` is base64, `stringData`
// is plain and wins on the same key, as in Kubernetes; no metadata.namespace means
// "default"; documents of other kinds are skipped.
//
// Errors name the source and the Secret/key, never a value: the text of a Secret file is
// never quoted.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "secret_facts.h"

namespace feast {

struct ManifestSecret {
  std::string ns;
  std::string name;
  std::shared_ptr<const SecretFacts> facts;
};

class SecretManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text` (the content of `source`, a file name used in error messages only).
// Throws SecretManifestError. `text` is wiped before returning or throwing.
std::vector<ManifestSecret> read_secret_manifests(std::string& text, std::string_view source);

// Reads one file. Throws SecretManifestError (also when the file cannot be read).
std::vector<ManifestSecret> read_secret_file(const std::string& path);

// Loads a file, or every *.yaml / *.yml / *.json file of a folder (not recursive), into
// a fresh synced index, for the offline `check --secrets FILE|DIR` command. Broken files
// are skipped and their errors returned in `problems`.
std::shared_ptr<SecretIndex> load_secret_index(const std::string& file_or_dir,
                                               std::vector<std::string>* problems = nullptr);

// RFC 4648 base64 as Kubernetes writes it; whitespace ignored, padding optional.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace feast
