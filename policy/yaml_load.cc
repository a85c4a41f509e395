#include "yaml_load.h"

#include <yaml-cpp/eventhandler.h>

#include <sstream>

namespace feast {
namespace {

constexpr std::size_t kMaxDocuments = 100000;

// Sees only where documents start: a parser that does not move forward between two
// documents is stuck.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (count_ > 0 && mark.pos <= last_.pos) {
      throw YAML::ParserException(mark, "malformed YAML: no document can start here");
    }
    if (++count_ > kMaxDocuments) throw YAML::ParserException(mark, "too many documents");
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::size_t count_ = 0;
  YAML::Mark last_;
};

}  // namespace

std::vector<YAML::Node> load_all_yaml(const std::string& text) {
  {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (parser.HandleNextDocument(starts)) {
    }
  }
  return YAML::LoadAll(text);
}

}  // namespace feast
