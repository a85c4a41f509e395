#include "field_error.h"

#include <gtest/gtest.h>

#include <utility>

namespace feast {
namespace {

TEST(FieldError, BodiesReadLikeApimachinery) {
  FieldPath p = FieldPath("spec").child("replicas");
  EXPECT_EQ(required(p, "", "V").text(), "spec.replicas: Required value");
  EXPECT_EQ(required(p, "must be set", "V").body(), "Required value: must be set");
  EXPECT_EQ(forbidden(p, "not here", "V").body(), "Forbidden: not here");
  EXPECT_EQ(invalid(p, 3, "too many", "V").body(), "Invalid value: 3: too many");
  EXPECT_EQ(invalid(p, "x\"y", "", "V").body(), "Invalid value: \"x\\\"y\"");
  EXPECT_EQ(invalid(p, nullptr, "", "V").body(), "Invalid value: \"null\"");
  EXPECT_EQ(not_found(p, "s", "", "V").body(), "Not found: \"s\"");
  EXPECT_EQ(not_supported(p, "c", {"a", "b"}, "V").body(), "Unsupported value: \"c\": supported values: \"a\", \"b\"");
  EXPECT_EQ(reason_type(FieldReason::NotSupported), "FieldValueNotSupported");
}

TEST(FieldError, PathIndexes) {
  EXPECT_EQ(FieldPath("spec").child("a").index(2).child("b").str(), "spec.a[2].b");
}

TEST(FieldError, AStepBelowANamedPathLeavesItAsItWas) {
  const FieldPath store = FieldPath("spec").child("services").child("onlineStore");
  FieldPath name = store.child("secretRef").child("name");
  EXPECT_EQ(store.str(), "spec.services.onlineStore");
  EXPECT_EQ(name.str(), "spec.services.onlineStore.secretRef.name");
  FieldPath moved = std::move(name).index(0).child("x");
  EXPECT_EQ(moved.str(), "spec.services.onlineStore.secretRef.name[0].x");
  EXPECT_EQ(FieldPath().child("spec").index(10).str(), "spec[10]");
}

TEST(FieldError, AggregateDropsDuplicates) {
  ErrorList one{required(FieldPath("a"), "", "V")};
  EXPECT_EQ(aggregate_message(one), "a: Required value");
  ErrorList two{required(FieldPath("a"), "", "V"), required(FieldPath("a"), "", "V"), required(FieldPath("b"), "", "V")};
  EXPECT_EQ(aggregate_message(two), "[a: Required value, b: Required value]");
}

TEST(FieldError, SameViolationComparesRuleFieldValue) {
  FieldError a = invalid(FieldPath("x"), "1", "d", "V4");
  EXPECT_TRUE(a.same_violation(invalid(FieldPath("x"), "1", "other detail", "V4")));
  EXPECT_FALSE(a.same_violation(invalid(FieldPath("x"), "2", "d", "V4")));
  EXPECT_FALSE(a.same_violation(invalid(FieldPath("y"), "1", "d", "V4")));
  EXPECT_FALSE(a.same_violation(invalid(FieldPath("x"), "1", "d", "V6")));
}

}  // namespace
}  // namespace feast
