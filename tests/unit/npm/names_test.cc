#include <gtest/gtest.h>

#include "formats/npm/npm_names.h"

namespace arca::formats::npm {
namespace {

TEST(NpmNames, SplitName) {
  EXPECT_EQ(split_name("lodash"), (NpmName{"", "lodash"}));
  EXPECT_EQ(split_name("@types/node"), (NpmName{"types", "node"}));
  EXPECT_FALSE(split_name("@types"));
  EXPECT_FALSE(split_name("@/node"));
  EXPECT_FALSE(split_name("@types/"));
  EXPECT_FALSE(split_name("a/b"));
  EXPECT_FALSE(split_name(""));
  EXPECT_FALSE(split_name(".."));
  EXPECT_EQ(NpmName({"s", "n"}).full(), "@s/n");
}

TEST(NpmNames, ValidateNewName) {
  EXPECT_TRUE(validate_new_name({"", "left-pad"}));
  EXPECT_TRUE(validate_new_name({"my.scope", "lib_2"}));
  EXPECT_FALSE(validate_new_name({"", "Upper"}));
  EXPECT_FALSE(validate_new_name({"", ".hidden"}));
  EXPECT_FALSE(validate_new_name({"", "_under"}));
  EXPECT_FALSE(validate_new_name({"_s", "x"}));
  EXPECT_FALSE(validate_new_name({"", "a b"}));
  EXPECT_FALSE(validate_new_name({"", "a:b"}));
  EXPECT_FALSE(validate_new_name({"", "node_modules"}));
  EXPECT_FALSE(validate_new_name({"", std::string(215, 'a')}));
  EXPECT_TRUE(validate_new_name({"", std::string(214, 'a')}));
  auto e = validate_new_name({"", "Bad"});
  EXPECT_NE(e.error().message.find("Bad"), std::string::npos);
}

TEST(NpmNames, TarballFiles) {
  NpmName scoped{"s", "lib"};
  EXPECT_EQ(tarball_file_name(scoped, "1.0.0"), "lib-1.0.0.tgz");
  EXPECT_EQ(version_from_tarball(scoped, "lib-1.0.0.tgz"), "1.0.0");
  EXPECT_EQ(version_from_tarball(scoped, "@s/lib-1.0.0-beta.1.tgz"), "1.0.0-beta.1");
  EXPECT_FALSE(version_from_tarball(scoped, "other-1.0.0.tgz"));
  EXPECT_FALSE(version_from_tarball(scoped, "lib-.tgz"));
  EXPECT_FALSE(version_from_tarball(scoped, "lib-1.0.0.tar"));
  EXPECT_EQ(version_from_tarball({"", "a-b"}, "a-b-2.0.0.tgz"), "2.0.0");
}

struct RouteCase {
  const char* rest;
  RouteKind kind;
  NpmName name;
  const char* extra;  // version/tag, file or tag
};

class NpmRoutes : public ::testing::TestWithParam<RouteCase> {};

TEST_P(NpmRoutes, Parses) {
  const RouteCase& c = GetParam();
  Route r = parse_route(c.rest);
  EXPECT_EQ(r.kind, c.kind) << c.rest;
  if (c.kind == RouteKind::kNotFound) return;
  EXPECT_EQ(r.package, c.name) << c.rest;
  std::string extra = r.kind == RouteKind::kVersion   ? r.version_or_tag
                      : r.kind == RouteKind::kDistTag ? r.tag
                                                      : r.file;
  EXPECT_EQ(extra, c.extra) << c.rest;
}

const NpmName kPlain{"", "demo-pkg"};
const NpmName kScoped{"myscope", "lib"};

INSTANTIATE_TEST_SUITE_P(
    All, NpmRoutes,
    ::testing::Values(
        RouteCase{"demo-pkg", RouteKind::kPackage, kPlain, ""},
        RouteCase{"demo-pkg/", RouteKind::kPackage, kPlain, ""},
        RouteCase{"@myscope%2flib", RouteKind::kPackage, kScoped, ""},
        RouteCase{"@myscope%2Flib", RouteKind::kPackage, kScoped, ""},
        RouteCase{"@myscope/lib", RouteKind::kPackage, kScoped, ""},
        RouteCase{"%40myscope%2flib", RouteKind::kPackage, kScoped, ""},
        RouteCase{"demo-pkg/1.0.0", RouteKind::kVersion, kPlain, "1.0.0"},
        RouteCase{"demo-pkg/latest", RouteKind::kVersion, kPlain, "latest"},
        RouteCase{"@myscope%2flib/1.0.0", RouteKind::kVersion, kScoped, "1.0.0"},
        RouteCase{"@myscope/lib/latest", RouteKind::kVersion, kScoped, "latest"},
        RouteCase{"demo-pkg/-/demo-pkg-1.0.0.tgz", RouteKind::kTarball, kPlain,
                  "demo-pkg-1.0.0.tgz"},
        RouteCase{"@myscope/lib/-/lib-1.0.0.tgz", RouteKind::kTarball, kScoped, "lib-1.0.0.tgz"},
        RouteCase{"@myscope%2flib/-/lib-1.0.0.tgz", RouteKind::kTarball, kScoped, "lib-1.0.0.tgz"},
        RouteCase{"@myscope%2Flib/-/lib-1.0.0.tgz", RouteKind::kTarball, kScoped, "lib-1.0.0.tgz"},
        RouteCase{"@myscope/lib/-/@myscope/lib-1.0.0.tgz", RouteKind::kTarball, kScoped,
                  "@myscope/lib-1.0.0.tgz"},
        RouteCase{"demo-pkg/-rev/3-abc", RouteKind::kPackageRev, kPlain, ""},
        RouteCase{"@myscope%2flib/-rev/3-abc", RouteKind::kPackageRev, kScoped, ""},
        RouteCase{"@myscope/lib/-/lib-1.0.1.tgz/-rev/2-ab", RouteKind::kTarballRev, kScoped,
                  "lib-1.0.1.tgz"},
        RouteCase{"-/package/demo-pkg/dist-tags", RouteKind::kDistTags, kPlain, ""},
        RouteCase{"-/package/@myscope%2flib/dist-tags", RouteKind::kDistTags, kScoped, ""},
        RouteCase{"-/package/@myscope/lib/dist-tags/beta", RouteKind::kDistTag, kScoped, "beta"},
        RouteCase{"-/package/@myscope%2Flib/dist-tags/next", RouteKind::kDistTag, kScoped, "next"},
        RouteCase{"-/whoami", RouteKind::kWhoami, {}, ""},
        RouteCase{"-/ping", RouteKind::kPing, {}, ""},
        RouteCase{"-/v1/search", RouteKind::kSearch, {}, ""},
        RouteCase{"-/user/org.couchdb.user:bob", RouteKind::kLogin, {}, ""},
        RouteCase{"-/npm/v1/security/advisories/bulk", RouteKind::kNotFound, {}, ""},
        RouteCase{"", RouteKind::kNotFound, {}, ""},
        RouteCase{"@myscope", RouteKind::kNotFound, {}, ""},
        RouteCase{"demo-pkg/-", RouteKind::kNotFound, {}, ""},
        RouteCase{"demo-pkg/1.0.0/extra", RouteKind::kNotFound, {}, ""},
        RouteCase{"demo%zzpkg", RouteKind::kNotFound, {}, ""},
        RouteCase{"a%2fb", RouteKind::kNotFound, {}, ""},
        RouteCase{"-/package/demo-pkg", RouteKind::kNotFound, {}, ""}));

}  // namespace
}  // namespace arca::formats::npm
