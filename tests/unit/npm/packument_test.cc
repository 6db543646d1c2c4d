#include "formats/npm/packument.h"

#include <gtest/gtest.h>

#include "formats/npm/packument_cache.h"
#include "formats/npm/publish_plan.h"
#include "unit/npm/npm_test_support.h"

namespace arca::formats::npm {
namespace {

namespace json = boost::json;

const NpmName kName{"myscope", "lib"};
const std::string kRepoUrl = "http://h:1/npm/d/dom-111122223333/repo/";

store::PackageVersion make_version(const std::string& version, const std::string& status,
                                   double time) {
  testing::DocSpec spec;
  spec.version = version;
  json::object manifest = testing::version_manifest_json(spec);
  manifest.erase("readme");
  store::PackageVersion v;
  v.version = version;
  v.display_name = kName.full();
  v.status = status;
  v.revision = "rev-" + version;
  v.published_time = time;
  v.summary = "A test library";
  v.readme = "readme of " + version;
  v.format_metadata = json::serialize(manifest);
  store::Asset a;
  a.name = tarball_file_name(kName, version);
  a.sha256 = std::string(64, 'a');
  a.sha1 = std::string(40, 'b');
  a.sha512 = std::string(128, 'c');
  a.size = 10;
  v.assets.push_back(a);
  return v;
}

store::PackageSnapshot snapshot() {
  store::PackageSnapshot s;
  s.package.key = {"npm", "myscope", "lib"};
  s.package.created_time = 1700000000.5;
  s.package.dist_tags = {{"latest", "2.0.0"}, {"beta", "2.1.0-beta.1"}, {"old", "0.1.0"}};
  s.versions.push_back(make_version("0.1.0", "Unlisted", 1700000001));
  s.versions.push_back(make_version("1.0.0", "Published", 1700000002));
  s.versions.push_back(make_version("1.10.0", "Published", 1700000003));
  s.versions.push_back(make_version("1.9.0", "Published", 1700000004));
  s.versions.push_back(make_version("2.0.0", "Archived", 1700000005));
  s.versions.push_back(make_version("2.1.0-beta.1", "Published", 1700000006));
  return s;
}

json::object render(const store::PackageSnapshot& s, bool abbreviated) {
  auto text = render_packument(s, kName, {kRepoUrl, abbreviated});
  EXPECT_TRUE(text);
  return json::parse(*text).as_object();
}

TEST(NpmPackument, FullListsOnlyListableVersions) {
  auto doc = render(snapshot(), false);
  EXPECT_EQ(doc.at("name").as_string(), "@myscope/lib");
  EXPECT_EQ(doc.at("_id").as_string(), "@myscope/lib");
  EXPECT_TRUE(doc.at("_rev").as_string().starts_with("4-"));
  const auto& versions = doc.at("versions").as_object();
  EXPECT_EQ(versions.size(), 4u);
  EXPECT_FALSE(versions.contains("0.1.0"));
  EXPECT_FALSE(versions.contains("2.0.0"));
  const auto& v = versions.at("1.10.0").as_object();
  EXPECT_EQ(v.at("dist").at("tarball").as_string(), kRepoUrl + "@myscope/lib/-/lib-1.10.0.tgz");
  EXPECT_EQ(v.at("dist").at("shasum").as_string(), std::string(40, 'b'));
  EXPECT_TRUE(v.at("dist").at("integrity").as_string().starts_with("sha512-"));
  EXPECT_EQ(v.at("scripts").at("test").as_string(), "jest");
  const auto& time = doc.at("time").as_object();
  EXPECT_EQ(time.at("1.0.0").as_string(), "2023-11-14T22:13:22.000Z");
  EXPECT_EQ(time.at("created").as_string(), "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(time.at("modified").as_string(), "2023-11-14T22:13:26.000Z");
  EXPECT_FALSE(time.contains("2.0.0"));
  EXPECT_EQ(doc.at("readme").as_string(), "readme of 1.10.0");
  EXPECT_EQ(doc.at("description").as_string(), "A test library");
}

TEST(NpmPackument, DistTagsPointOnlyAtListableVersions) {
  auto doc = render(snapshot(), false);
  const auto& tags = doc.at("dist-tags").as_object();
  EXPECT_EQ(tags.at("latest").as_string(), "1.10.0");  // 2.0.0 is archived; beta is pre-release
  EXPECT_EQ(tags.at("beta").as_string(), "2.1.0-beta.1");
  EXPECT_FALSE(tags.contains("old"));
}

TEST(NpmPackument, LatestFallsBackToPrereleaseWhenNothingElse) {
  store::PackageSnapshot s;
  s.package.key = {"npm", "myscope", "lib"};
  s.versions.push_back(make_version("1.0.0-rc.1", "Published", 1));
  s.versions.push_back(make_version("1.0.0-rc.2", "Published", 2));
  auto doc = render(s, false);
  EXPECT_EQ(doc.at("dist-tags").at("latest").as_string(), "1.0.0-rc.2");
}

TEST(NpmPackument, Abbreviated) {
  auto doc = render(snapshot(), true);
  EXPECT_EQ(doc.size(), 4u);
  EXPECT_TRUE(doc.contains("modified"));
  EXPECT_FALSE(doc.contains("time"));
  EXPECT_FALSE(doc.contains("readme"));
  const auto& v = doc.at("versions").at("1.0.0").as_object();
  EXPECT_TRUE(v.contains("dependencies"));
  EXPECT_TRUE(v.contains("peerDependencies"));
  EXPECT_TRUE(v.contains("bin"));
  EXPECT_TRUE(v.contains("dist"));
  EXPECT_TRUE(v.at("hasInstallScript").as_bool());
  EXPECT_FALSE(v.contains("scripts"));
  EXPECT_FALSE(v.contains("description"));
  EXPECT_FALSE(v.contains("_nodeVersion"));
}

TEST(NpmPackument, NoListableVersionsIsNotFound) {
  store::PackageSnapshot s;
  s.versions.push_back(make_version("1.0.0", "Unlisted", 1));
  EXPECT_FALSE(render_packument(s, kName, {kRepoUrl, false}));
}

TEST(NpmPackument, UnscopedTarballUrl) {
  EXPECT_EQ(tarball_url(kRepoUrl, {"", "demo"}, "1.0.0"), kRepoUrl + "demo/-/demo-1.0.0.tgz");
}

TEST(NpmPackument, DeprecationIsRendered) {
  auto s = snapshot();
  ASSERT_TRUE(set_deprecation(s.versions[1], std::string("use 2")));
  EXPECT_EQ(deprecation_of(s.versions[1]), "use 2");
  auto doc = render(s, true);
  EXPECT_EQ(doc.at("versions").at("1.0.0").at("deprecated").as_string(), "use 2");
  ASSERT_TRUE(set_deprecation(s.versions[1], std::nullopt));
  EXPECT_EQ(deprecation_of(s.versions[1]), "");
}

TEST(NpmPackument, RevChangesWithContent) {
  auto s = snapshot();
  std::string before = package_rev(s);
  EXPECT_EQ(before, package_rev(snapshot()));
  ASSERT_TRUE(set_deprecation(s.versions[1], std::string("x")));
  EXPECT_NE(before, package_rev(s));
}

TEST(NpmMetadataUpdate, DeprecateAndUnpublish) {
  auto s = snapshot();
  auto doc = render(s, false);
  doc["versions"].as_object()["1.0.0"].as_object()["deprecated"] = "old";
  doc["versions"].as_object().erase("1.9.0");
  auto u = plan_metadata_update(doc, s, kName);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->remove_versions, std::vector<std::string>{"1.9.0"});
  ASSERT_EQ(u->deprecations.size(), 1u);
  EXPECT_EQ(u->deprecations.at("1.0.0"), "old");
  // "latest" as shown (fixed up to 1.10.0) is not written back over the stored 2.0.0.
  EXPECT_TRUE(u->tag_changes.empty());
  // Versions the client never saw (Unlisted, Archived) are untouched.
  for (const auto& v : u->remove_versions) EXPECT_NE(v, "0.1.0");
}

TEST(NpmMetadataUpdate, UndeprecateAndTagRemoval) {
  auto s = snapshot();
  ASSERT_TRUE(set_deprecation(s.versions[1], std::string("old")));
  s.package.dist_tags["latest"] = "1.10.0";
  auto doc = render(s, false);
  doc["versions"].as_object()["1.0.0"].as_object()["deprecated"] = "";
  doc["dist-tags"].as_object().erase("beta");
  auto u = plan_metadata_update(doc, s, kName);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->remove_versions.empty());
  EXPECT_EQ(u->deprecations.at("1.0.0"), std::nullopt);
  EXPECT_EQ(u->tag_changes.size(), 1u);
  EXPECT_EQ(u->tag_changes.at("beta"), std::nullopt);
}

TEST(NpmMetadataUpdate, UnchangedDocumentIsEmpty) {
  auto s = snapshot();
  s.package.dist_tags["latest"] = "1.10.0";
  auto u = plan_metadata_update(render(s, false), s, kName);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->empty());
  EXPECT_FALSE(plan_metadata_update(render(s, false), s, {"", "other"}));
}

TEST(NpmPackumentCache, LruAndInvalidation) {
  PackumentCache cache(4000);
  auto doc = [](size_t n) {
    auto d = std::make_shared<CachedDocument>();
    d->body.assign(n, 'x');
    d->etag = "\"e\"";
    return d;
  };
  cache.put("a", "f", cache.generation(), doc(900));
  cache.put("b", "f", cache.generation(), doc(900));
  cache.put("b", "a", cache.generation(), doc(900));
  EXPECT_TRUE(cache.get("a", "f"));
  cache.put("c", "f", cache.generation(), doc(900));
  cache.put("d", "f", cache.generation(), doc(900));  // over 4000: "b" is least recently used
  EXPECT_TRUE(cache.get("a", "f"));
  EXPECT_FALSE(cache.get("b", "f"));
  EXPECT_LE(cache.bytes(), 4000u);

  uint64_t g = cache.generation();
  cache.invalidate("a");
  EXPECT_FALSE(cache.get("a", "f"));
  cache.put("a", "f", g, doc(10));  // rendered before the write: not cached
  EXPECT_FALSE(cache.get("a", "f"));
  cache.put("e", "f", cache.generation(), doc(2000));  // over a quarter of the budget
  EXPECT_FALSE(cache.get("e", "f"));
}

}  // namespace
}  // namespace arca::formats::npm
