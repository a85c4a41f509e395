// JSON text written directly, for the per-request hot paths (the decision log line, the
// AdmissionReview response), where building and dumping a nlohmann value cost more than
// the rest of the work. The output is byte for byte what nlohmann's dump() writes (compact,
// UTF-8 kept, invalid UTF-8 replaced by U+FFFD); tests compare the two.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feast {

// Appends `s` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

// Appends `values` as a JSON array of strings.
void append_json_strings(std::string& out, const std::vector<std::string>& values);

}  // namespace feast
