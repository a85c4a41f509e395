#include "quantity.h"

#include <gtest/gtest.h>

namespace feast {
namespace {

TEST(Quantity, ParsesKubernetesForms) {
  EXPECT_EQ(*parse_quantity("1Gi"), 1073741824.0L);
  EXPECT_EQ(*parse_quantity("500M"), 500e6L);
  EXPECT_EQ(*parse_quantity("1.5Ti"), 1.5L * 1099511627776.0L);
  EXPECT_EQ(*parse_quantity("1e9"), 1e9L);
  EXPECT_EQ(*parse_quantity("2E3"), 2000.0L);
  EXPECT_DOUBLE_EQ(static_cast<double>(*parse_quantity("100m")), 0.1);
  EXPECT_EQ(*parse_quantity("+.5k"), 500.0L);
  EXPECT_EQ(*parse_quantity("-1Gi"), -1073741824.0L);
}

TEST(Quantity, RejectsWhatKubernetesRejects) {
  for (const char* bad : {"", "Gi", "1GB", "1 Gi", "1.2.3", "e9", "1e", "1Gi ", "lots", "1e99999", "1ki"})
    EXPECT_FALSE(parse_quantity(bad).has_value()) << bad;
}

}  // namespace
}  // namespace feast
