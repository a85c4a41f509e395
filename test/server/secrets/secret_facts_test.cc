// SecretFacts: a Secret reduced to what V7/V8 need, and the SecretIndex that holds them.
#include "secret_facts.h"

#include <gtest/gtest.h>

#include <thread>

namespace feast {
namespace {

TEST(SecretFacts, MappingWithTypeFieldsAndVariables) {
  SecretKeyFacts f = reduce_secret_value(
      "type: redis\nregistry_type: 'sql'\n# ${COMMENTED}\nconnection_string: "
      "\"${HOST}:${PORT},password=${PW}\"\nnested: {list: [\"${PW}\", 1]}\n${KEY_VAR}: x\n"
      "not_a_var: $PLAIN ${1BAD} ${ok_lower}\n");
  EXPECT_EQ(f.shape, SecretValueShape::Mapping);
  EXPECT_TRUE(f.type.present);
  EXPECT_TRUE(f.type.is_string);
  EXPECT_EQ(f.type.value, "redis");
  EXPECT_TRUE(f.registry_type.is_string);
  EXPECT_EQ(f.registry_type.value, "sql");
  EXPECT_EQ(f.variables,
            (std::vector<std::string>{"HOST", "KEY_VAR", "PORT", "PW", "ok_lower"}));
}

TEST(SecretFacts, TypeFieldsThatAreNotStrings) {
  for (const char* v : {"type: 5", "type: 1.5e3", "type: true", "type: null", "type:",
                        "type: [redis]", "type: {a: b}", "type: !!int 7"}) {
    SecretKeyFacts f = reduce_secret_value(v);
    EXPECT_TRUE(f.type.present) << v;
    EXPECT_FALSE(f.type.is_string) << v;
    EXPECT_TRUE(f.type.value.empty()) << v;
  }
  for (const char* v : {"type: \"5\"", "type: '1'", "type: redis", "type: !!str 7"}) {
    EXPECT_TRUE(reduce_secret_value(v).type.is_string) << v;
  }
}

TEST(SecretFacts, Shapes) {
  EXPECT_EQ(reduce_secret_value("").shape, SecretValueShape::Mapping);
  EXPECT_EQ(reduce_secret_value("~").shape, SecretValueShape::Mapping);
  EXPECT_EQ(reduce_secret_value("null").shape, SecretValueShape::Mapping);
  EXPECT_EQ(reduce_secret_value("# c\n# d\n").shape, SecretValueShape::Mapping);
  EXPECT_EQ(reduce_secret_value("{}").shape, SecretValueShape::Mapping);
  EXPECT_EQ(reduce_secret_value("- a\n- b").shape, SecretValueShape::Sequence);
  EXPECT_EQ(reduce_secret_value("[]").shape, SecretValueShape::Sequence);
  EXPECT_EQ(reduce_secret_value("just text").shape, SecretValueShape::Scalar);
  EXPECT_EQ(reduce_secret_value("''").shape, SecretValueShape::Scalar);
  EXPECT_EQ(reduce_secret_value("a: 1\n---\nb: 2\n").shape, SecretValueShape::Invalid);
  SecretKeyFacts broken = reduce_secret_value("a: 1\nb: [\n");
  EXPECT_EQ(broken.shape, SecretValueShape::Invalid);
  EXPECT_GT(broken.error_line, 0);
  EXPECT_EQ(reduce_secret_value("\tfoo: 1").shape, SecretValueShape::Invalid);
  reduce_secret_value(std::string("\xff\xfe\0\x01", 4));  // binary: no throw
}

TEST(SecretFacts, AliasBombIsBounded) {
  std::string bomb = "a: &a [\"${X}\",\"${X}\",\"${X}\",\"${X}\",\"${X}\",\"${X}\",\"${X}\"]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'p'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ",*" + prev + ",*" + prev + ",*" +
            prev + ",*" + prev + ",*" + prev + "]\n";
    prev = c;
  }
  SecretKeyFacts f = reduce_secret_value(bomb);  // must return quickly
  EXPECT_EQ(f.shape, SecretValueShape::Mapping);
}

TEST(SecretFacts, ReduceSecretWipesTheValues) {
  std::map<std::string, std::string> values{{"b", "x: 1"}, {"a", "- 1"}};
  SecretFacts facts = reduce_secret(values);
  EXPECT_TRUE(values.empty());
  EXPECT_EQ(facts.key_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(facts.find("a")->shape, SecretValueShape::Sequence);
  EXPECT_TRUE(facts.find("b")->is_mapping());
  EXPECT_EQ(facts.find("c"), nullptr);
}

TEST(SecretIndex, UpsertEraseReplace) {
  SecretIndex index;
  EXPECT_FALSE(index.synced());
  auto facts = std::make_shared<const SecretFacts>();
  index.upsert("ns", "a", facts);
  index.upsert("ns", "b", facts);
  index.upsert("other", "a", facts);
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.find("ns", "a"), facts);
  EXPECT_EQ(index.find("ns", "c"), nullptr);
  index.erase("ns", "a");
  EXPECT_EQ(index.find("ns", "a"), nullptr);
  index.replace_namespace("ns", {{"z", facts}});
  EXPECT_EQ(index.find("ns", "b"), nullptr);
  EXPECT_NE(index.find("ns", "z"), nullptr);
  EXPECT_NE(index.find("other", "a"), nullptr);
  index.replace_all({});
  EXPECT_EQ(index.size(), 0u);
  index.mark_synced();
  EXPECT_TRUE(index.synced());
}

TEST(SecretIndex, ConcurrentReadersAndWriters) {
  SecretIndex index;
  auto facts = std::make_shared<const SecretFacts>();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) {
      index.upsert("ns", "s" + std::to_string(i % 100), facts);
      if (i % 7 == 0) index.erase("ns", "s" + std::to_string(i % 100));
      if (i % 1000 == 0) index.replace_namespace("ns", {});
    }
    done = true;
  });
  std::size_t hits = 0;
  while (!done) {
    for (int i = 0; i < 100; ++i) hits += index.find("ns", "s" + std::to_string(i)) != nullptr;
  }
  writer.join();
  SUCCEED() << hits;
}

}  // namespace
}  // namespace feast
