// load_all_yaml: YAML::LoadAll with a guard. yaml-cpp 0.7 (Debian 12) never returns from
// LoadAll, allocating without end, when a document starts with a token its parser cannot
// take, such as ',' (upstream issue 1040) or a stray '?' after "..." or a directive: a
// Secret value of "," would take the process down. Every multi-document load goes
// through here; a single YAML::Load is not affected.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace feast {

// Throws YAML::Exception (YAML::ParserException for the stalled case) like LoadAll.
std::vector<YAML::Node> load_all_yaml(const std::string& text);

}  // namespace feast
