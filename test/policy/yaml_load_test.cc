// load_all_yaml: yaml-cpp 0.7's LoadAll never returns on some malformed streams (upstream
// issue 1040); the guard must refuse every one of them with an error that names the place,
// and pass every well-formed stream through unchanged.
#include <gtest/gtest.h>

#include <string>

#include "yaml_load.h"

namespace {

TEST(LoadAllYaml, WellFormedStreamsGiveTheirDocuments) {
  const auto docs = feast::load_all_yaml("a: 1\n---\n- x\n- y\n---\nplain, with a comma\n");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["a"].as<int>(), 1);
  EXPECT_EQ(docs[1][1].as<std::string>(), "y");
  EXPECT_EQ(docs[2].as<std::string>(), "plain, with a comma");
  EXPECT_TRUE(feast::load_all_yaml("").empty());
  EXPECT_TRUE(feast::load_all_yaml("# only a comment\n").empty());
}

// Each of these made YAML::LoadAll loop for ever in a probe of this yaml-cpp (a forked child
// killed after 1 s): a leading ',' and, found by random streams without any ',', a stray
// '?' after an end-of-document marker or a directive. Reaching the assertions at all is
// half of the test: without the guard ctest's timeout would end it.
TEST(LoadAllYaml, StreamsOnWhichLoadAllStallsAreRefusedWithThePlace) {
  struct Case {
    const char* text;
    int line;  // 1-based, where the parser stalled
  };
  for (const Case& c : {Case{",", 1}, Case{"a: 1\n---\n,x", 3}, Case{"\n,", 2},
                        Case{"'s'...\n? \n%YAML 1.2\n\n", 2}, Case{"&x ...\n\n? ", 3},
                        Case{"#c\n's'---\n? ", 3}}) {
    SCOPED_TRACE(c.text);
    try {
      feast::load_all_yaml(c.text);
      ADD_FAILURE() << "accepted";
    } catch (const YAML::ParserException& e) {
      EXPECT_EQ(e.mark.line + 1, c.line);
      EXPECT_NE(std::string(e.what()).find("malformed YAML"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("unexpected ','"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
