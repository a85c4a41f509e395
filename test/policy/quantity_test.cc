#include "quantity.h"

#include <gtest/gtest.h>

#include <string>

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

TEST(Quantity, EverySuffixScalesExactly) {
  long double binary = 1.0L;
  for (const char* suffix : {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}) {
    binary *= 1024.0L;
    EXPECT_EQ(*parse_quantity(std::string("3") + suffix), 3.0L * binary) << suffix;
  }
  long double decimal = 1.0L;
  for (const char* suffix : {"k", "M", "G", "T", "P", "E"}) {
    decimal *= 1000.0L;
    EXPECT_EQ(*parse_quantity(std::string("7") + suffix), 7.0L * decimal) << suffix;
  }
  EXPECT_EQ(*parse_quantity("1E"), 1000000000000000000.0L);
  // Sub-units divide by an exact power of ten: the results are exact where they can be.
  EXPECT_EQ(*parse_quantity("1500m"), 1.5L);
  EXPECT_EQ(*parse_quantity("2500u"), 0.0025L);  // both rounded once, to the nearest
  EXPECT_EQ(*parse_quantity("3000000000n"), 3.0L);
  EXPECT_EQ(*parse_quantity("250m"), 0.25L);
}

TEST(Quantity, RejectsWhatKubernetesRejects) {
  for (const char* bad : {"", "Gi", "1GB", "1 Gi", "1.2.3", "e9", "1e", "1Gi ", "lots", "1e99999", "1ki"})
    EXPECT_FALSE(parse_quantity(bad).has_value()) << bad;
}

}  // namespace
}  // namespace feast
