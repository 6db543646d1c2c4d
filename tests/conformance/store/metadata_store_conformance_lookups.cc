// Conformance: point lookups of package data that need no load of the whole package
// (has_version, get_package_versions).
#include <map>

#include "conformance/store/metadata_store_conformance.h"
#include "conformance/store/package_helpers.h"

namespace arca::store::conformance {
namespace {

TEST_P(MetadataStoreConformance, HasVersionAnswersForOneVersionInAnyStatus) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r2"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageVersion archived = make_version("2.0.0");
  archived.status = "Archived";
  ARCA_ASSERT_OK(
      store().mutate_package(repo, npm_key(), set(create({make_version("1.0.0"), archived}))));

  auto has = [&](const RepositoryRef& r, const PackageKey& k, const std::string& v) {
    auto result = store().has_version(r, k, v);
    EXPECT_TRUE(result) << code_of(result);
    return result && *result;
  };
  EXPECT_TRUE(has(repo, npm_key(), "1.0.0"));
  EXPECT_TRUE(has(repo, npm_key(), "2.0.0"));  // whatever the status
  EXPECT_FALSE(has(repo, npm_key(), "1.0.1"));
  EXPECT_FALSE(has(repo, npm_key(), "1.0.0 "));  // byte for byte
  EXPECT_FALSE(has(repo, npm_key("missing"), "1.0.0"));
  EXPECT_FALSE(has(repo, npm_key("pkg", ""), "1.0.0"));  // the namespace is part of the key
  EXPECT_FALSE(has(repo, PackageKey{"pypi", "scope", "pkg"}, "1.0.0"));
  EXPECT_FALSE(has(RepositoryRef{kOwner, "d", "r2"}, npm_key(), "1.0.0"));

  auto missing = store().has_version(RepositoryRef{kOwner, "d", "nope"}, npm_key(), "1.0.0");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kNotFound);
  EXPECT_EQ(missing.error().resource_type, "repository");

  // Deleted versions and packages are gone.
  PackageMutation drop;
  drop.delete_versions = {"1.0.0"};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(drop)));
  EXPECT_FALSE(has(repo, npm_key(), "1.0.0"));
  EXPECT_TRUE(has(repo, npm_key(), "2.0.0"));
  PackageMutation del;
  del.delete_package = true;
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(del)));
  EXPECT_FALSE(has(repo, npm_key(), "2.0.0"));
}

TEST_P(MetadataStoreConformance, GetPackageVersionsReturnsOnlyTheNamedVersions) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageMutation m = create({make_version("1.0.0", {make_asset("a.tgz", sha('a'), 3)}),
                              make_version("1.1.0"), make_version("2.0.0")});
  m.dist_tags = {{"latest", "2.0.0"}, {"beta", "1.1.0"}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(m)));

  auto some = store().get_package_versions(repo, npm_key(), {"2.0.0", "1.0.0", "9.9.9"});
  ASSERT_TRUE(some) << code_of(some);
  EXPECT_EQ(versions_of(*some), (std::vector<std::string>{"1.0.0", "2.0.0"}));
  std::map<std::string, std::string> tags{{"beta", "1.1.0"}, {"latest", "2.0.0"}};
  EXPECT_EQ(some->package.dist_tags, tags);  // every tag, whatever versions were asked for
  auto full = store().get_package(repo, npm_key());
  ASSERT_TRUE(full);
  EXPECT_EQ(some->package.origin, full->package.origin);
  ASSERT_EQ(some->versions[0].assets.size(), 1u);
  EXPECT_EQ(some->versions[0].assets[0].name, "a.tgz");
  EXPECT_EQ(some->versions[0].revision, full->versions[0].revision);

  auto none = store().get_package_versions(repo, npm_key(), {"3.0.0"});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->versions.empty());

  auto no_package = store().get_package_versions(repo, npm_key("missing"), {"1.0.0"});
  ASSERT_FALSE(no_package);
  EXPECT_EQ(no_package.error().code, Code::kNotFound);
  EXPECT_EQ(no_package.error().resource_type, "package");
  auto no_repo = store().get_package_versions(RepositoryRef{kOwner, "d", "nope"}, npm_key(), {});
  ASSERT_FALSE(no_repo);
  EXPECT_EQ(no_repo.error().resource_type, "repository");
}

}  // namespace
}  // namespace arca::store::conformance
