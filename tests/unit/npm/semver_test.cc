#include "formats/npm/semver.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace arca::formats::npm {
namespace {

TEST(NpmSemVer, Parses) {
  auto v = parse_semver("1.2.3-beta.1+build.5");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->patch, 3u);
  EXPECT_EQ(v->prerelease, (std::vector<std::string>{"beta", "1"}));
  EXPECT_TRUE(parse_semver("v1.0.0"));
  for (const char* bad : {"1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "a.b.c",
                          "1..0", "1.0.0-a..b", ""})
    EXPECT_FALSE(parse_semver(bad)) << bad;
}

TEST(NpmSemVer, Orders) {
  std::vector<std::string> vs = {"1.0.0",        "1.0.0-alpha.beta", "1.0.0-beta.11", "0.9.9",
                                 "1.0.0-alpha",  "1.0.0-alpha.1",    "1.0.0-rc.1",    "1.0.0-beta",
                                 "1.0.0-beta.2", "10.0.0",           "2.0.0",         "junk"};
  std::sort(vs.begin(), vs.end(), [](const auto& a, const auto& b) { return version_less(a, b); });
  EXPECT_EQ(vs,
            (std::vector<std::string>{"junk", "0.9.9", "1.0.0-alpha", "1.0.0-alpha.1",
                                      "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                                      "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "10.0.0"}));
}

}  // namespace
}  // namespace arca::formats::npm
