// Conformance: packages, versions, assets, dist-tags, blob references (mutate_package and the
// reads around it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <latch>
#include <thread>

#include "conformance/store/metadata_store_conformance.h"
#include "conformance/store/package_helpers.h"

namespace arca::store::conformance {
namespace {

using namespace std::string_literals;

TEST_P(MetadataStoreConformance, PackagesOnMissingRepositoryAreNotFound) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  const RepositoryRef missing{kOwner, "d", "nope"};
  bool called = false;
  auto m = store().mutate_package(missing, npm_key(), [&](const auto&) -> Result<PackageMutation> {
    called = true;
    return create();
  });
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Code::kNotFound);
  EXPECT_EQ(m.error().resource_type, "repository");
  EXPECT_FALSE(called);
  auto g = store().get_package(missing, npm_key());
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Code::kNotFound);
  EXPECT_EQ(g.error().resource_type, "repository");
  EXPECT_EQ(code_of(store().list_packages(missing, PackageFilter{}, Page{})), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, MutatePackageCreatesAndGetRoundTripsEveryField) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};

  auto missing = store().get_package(repo, npm_key());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kNotFound);
  EXPECT_EQ(missing.error().resource_type, "package");

  PackageVersion v = make_version(
      "1.0.0", {make_asset("pkg-1.0.0.tgz", sha('a'), 1234), make_asset("README.md", sha('b'), 0)});
  v.status = "Unlisted";
  v.origin_type = "EXTERNAL";
  v.entry_repository = "";
  v.entry_external_connection = "public:npmjs";
  v.published_time = 1700000300.125;
  v.summary = "Résumé — ünïcödé ✓ 日本語";
  v.home_page = "https://example.com/home";
  v.source_code_repository = "git+https://example.com/repo.git";
  v.licenses = {{"MIT", "https://example.com/mit"}, {"Apache-2.0", ""}, {"A", "z"}};
  v.readme = "# readme\nwith a \0 NUL and ünïcode"s;
  v.format_metadata = "{\"x\":1}\0\xff\xfe\x80 binary \x01\x02"s;
  v.dependencies = {{"", "zeta", "dependencies", "^1.0.0"},
                    {"scope", "alpha", "devDependencies", ">=2"},
                    {"", "mid", "peerDependencies", "*"}};
  PackageMutation m;
  m.origin = OriginRestrictions{"BLOCK", "ALLOW"};
  m.upsert_versions = {v};
  m.dist_tags = {{"latest", "1.0.0"}, {"next", "9.9.9"}};  // a tag may name a missing version

  std::optional<PackageSnapshot> seen;
  bool called = false;
  ARCA_ASSERT_OK_AND_ASSIGN(
      MutationOutcome out,
      store().mutate_package(repo, npm_key(), [&](const std::optional<PackageSnapshot>& s) {
        called = true;
        seen = s;
        return Result<PackageMutation>(m);
      }));
  EXPECT_TRUE(called);
  EXPECT_FALSE(seen.has_value());
  EXPECT_FALSE(out.package_existed);
  EXPECT_TRUE(out.unreferenced_blobs.empty());

  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(s.package.key, npm_key());
  EXPECT_EQ(s.package.origin, (OriginRestrictions{"BLOCK", "ALLOW"}));
  EXPECT_GT(s.package.created_time, 0);
  EXPECT_EQ(s.package.dist_tags,
            (std::map<std::string, std::string>{{"latest", "1.0.0"}, {"next", "9.9.9"}}));
  ASSERT_EQ(s.versions.size(), 1u);
  const PackageVersion& got = s.versions[0];
  EXPECT_EQ(got.version, v.version);
  EXPECT_EQ(got.display_name, v.display_name);
  EXPECT_EQ(got.status, v.status);
  EXPECT_EQ(got.revision, v.revision);
  EXPECT_DOUBLE_EQ(got.published_time, v.published_time);
  EXPECT_EQ(got.origin_type, v.origin_type);
  EXPECT_EQ(got.entry_repository, v.entry_repository);
  EXPECT_EQ(got.entry_external_connection, v.entry_external_connection);
  EXPECT_EQ(got.summary, v.summary);
  EXPECT_EQ(got.home_page, v.home_page);
  EXPECT_EQ(got.source_code_repository, v.source_code_repository);
  EXPECT_EQ(got.licenses, v.licenses);
  EXPECT_EQ(got.readme, v.readme);
  EXPECT_EQ(got.format_metadata, v.format_metadata);
  EXPECT_EQ(got.dependencies, v.dependencies);  // insertion order, not sorted
  // Assets come back ordered by name.
  ASSERT_EQ(got.assets.size(), 2u);
  EXPECT_EQ(got.assets[0], v.assets[1]);
  EXPECT_EQ(got.assets[1], v.assets[0]);

  // The next mutation sees exactly what get_package returns.
  ARCA_ASSERT_OK_AND_ASSIGN(
      out, store().mutate_package(repo, npm_key(), [&](const std::optional<PackageSnapshot>& s2) {
        seen = s2;
        return Result<PackageMutation>(PackageMutation{});
      }));
  EXPECT_TRUE(out.package_existed);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->package.created_time, s.package.created_time);
  EXPECT_EQ(seen->versions[0].format_metadata, v.format_metadata);
  EXPECT_EQ(seen->versions[0].assets, got.assets);
}

TEST_P(MetadataStoreConformance, VersionsAreOrderedByVersionString) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  ARCA_ASSERT_OK(store().mutate_package(
      repo, npm_key(),
      set(create({make_version("2.0.0"), make_version("10.0.0"), make_version("1.0.0")}))));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(s), (std::vector<std::string>{"1.0.0", "10.0.0", "2.0.0"}));
}

TEST_P(MetadataStoreConformance, UpsertReplacesVersionAssetsAndDependencies) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageVersion v1 =
      make_version("1.0.0", {make_asset("a.tgz", sha('a'), 10), make_asset("b.txt", sha('b'), 20)});
  v1.dependencies = {{"", "x", "dependencies", "1"}};
  v1.licenses = {{"MIT", ""}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(create({v1, make_version("2.0.0")}))));

  PackageVersion replaced = make_version("1.0.0", {make_asset("a.tgz", sha('c'), 30)});
  replaced.status = "Archived";
  replaced.dependencies = {{"", "y", "dependencies", "2"}, {"", "z", "dependencies", "3"}};
  PackageMutation m;
  m.upsert_versions = {replaced};
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out, store().mutate_package(repo, npm_key(), set(m)));
  EXPECT_TRUE(out.package_existed);
  EXPECT_EQ(out.unreferenced_blobs, (std::vector<std::string>{sha('a'), sha('b')}));

  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(s), (std::vector<std::string>{"1.0.0", "2.0.0"}));
  EXPECT_EQ(s.versions[0].status, "Archived");
  EXPECT_EQ(s.versions[0].assets, replaced.assets);
  EXPECT_EQ(s.versions[0].dependencies, replaced.dependencies);
  EXPECT_TRUE(s.versions[0].licenses.empty());
  EXPECT_EQ(s.package.origin, OriginRestrictions{});  // no origin in the mutation: unchanged
  EXPECT_EQ(code_of(store().count_blob_references(sha('a'))), "OK");
  EXPECT_EQ(*store().count_blob_references(sha('a')), 0u);
  EXPECT_EQ(*store().count_blob_references(sha('c')), 1u);

  // Re-upserting identical assets releases nothing.
  ARCA_ASSERT_OK_AND_ASSIGN(out, store().mutate_package(repo, npm_key(), set(m)));
  EXPECT_TRUE(out.unreferenced_blobs.empty());
}

TEST_P(MetadataStoreConformance, OriginAndDistTagsUpdate) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageMutation m = create({make_version("1.0.0")});
  m.dist_tags = {{"latest", "1.0.0"}, {"beta", "1.0.0"}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(m)));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot before, store().get_package(repo, npm_key()));

  PackageMutation update;
  update.origin = OriginRestrictions{"BLOCK", "BLOCK"};
  update.dist_tags = {{"latest", "2.0.0"}, {"beta", std::nullopt}, {"gone", std::nullopt}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(update)));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(s.package.origin, (OriginRestrictions{"BLOCK", "BLOCK"}));
  EXPECT_EQ(s.package.dist_tags, (std::map<std::string, std::string>{{"latest", "2.0.0"}}));
  EXPECT_EQ(s.package.created_time, before.package.created_time);
  EXPECT_EQ(versions_of(s), std::vector<std::string>{"1.0.0"});
}

// Removing the last version and the tags that named it (npm unpublish) deletes the package:
// tag removals alone never create or keep one.
TEST_P(MetadataStoreConformance, DeletePackageWithTagRemovalsLeavesNothing) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageMutation m = create({make_version("1.0.0")});
  m.dist_tags = {{"latest", "1.0.0"}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(m)));
  PackageMutation gone;
  gone.delete_package = true;
  gone.delete_versions = {"1.0.0"};
  gone.dist_tags = {{"latest", std::nullopt}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(gone)));
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");
  PackageMutation only_removal;
  only_removal.dist_tags = {{"latest", std::nullopt}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(only_removal)));
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, DeleteVersionsReleasesTheirBlobs) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  // 1.0.0 and 2.0.0 share blob 's'; 1.0.0 also has its own 'a'.
  ARCA_ASSERT_OK(store().mutate_package(
      repo, npm_key(),
      set(create(
          {make_version("1.0.0",
                        {make_asset("x.tgz", sha('a'), 1), make_asset("shared", sha('s'), 5)}),
           make_version("2.0.0", {make_asset("shared", sha('s'), 5)}), make_version("3.0.0")}))));
  PackageMutation m;
  m.delete_versions = {"1.0.0", "9.9.9"};  // a missing version is ignored
  m.dist_tags = {{"latest", "1.0.0"}};     // a tag may keep naming a deleted version
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out, store().mutate_package(repo, npm_key(), set(m)));
  EXPECT_EQ(out.unreferenced_blobs, std::vector<std::string>{sha('a')});
  EXPECT_EQ(*store().count_blob_references(sha('s')), 1u);

  m = PackageMutation{};
  m.delete_versions = {"2.0.0"};
  ARCA_ASSERT_OK_AND_ASSIGN(out, store().mutate_package(repo, npm_key(), set(m)));
  EXPECT_EQ(out.unreferenced_blobs, std::vector<std::string>{sha('s')});
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(s), std::vector<std::string>{"3.0.0"});
  EXPECT_EQ(s.package.dist_tags.at("latest"), "1.0.0");
}

TEST_P(MetadataStoreConformance, MovingABlobBetweenVersionsKeepsItReferenced) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  ARCA_ASSERT_OK(store().mutate_package(
      repo, npm_key(), set(create({make_version("1.0.0", {make_asset("f", sha('a'), 1)})}))));
  PackageMutation m;
  m.delete_versions = {"1.0.0"};
  m.upsert_versions = {make_version("2.0.0", {make_asset("f", sha('a'), 1)})};
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out, store().mutate_package(repo, npm_key(), set(m)));
  EXPECT_TRUE(out.unreferenced_blobs.empty());
  EXPECT_EQ(*store().count_blob_references(sha('a')), 1u);
}

TEST_P(MetadataStoreConformance, DeletePackageRemovesEverything) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageMutation c = create({make_version("1.0.0", {make_asset("a", sha('a'), 1)}),
                              make_version("2.0.0", {make_asset("b", sha('b'), 1)})});
  c.dist_tags = {{"latest", "2.0.0"}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(c)));
  // The same blob in another package keeps it alive.
  ARCA_ASSERT_OK(
      store().mutate_package(repo, npm_key("other"),
                             set(create({make_version("1.0.0", {make_asset("a", sha('a'), 1)})}))));

  PackageMutation del;
  del.delete_package = true;
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out, store().mutate_package(repo, npm_key(), set(del)));
  EXPECT_TRUE(out.package_existed);
  EXPECT_EQ(out.unreferenced_blobs, std::vector<std::string>{sha('b')});
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed, store().list_packages(repo, PackageFilter{}, Page{}));
  EXPECT_EQ(names_of(listed), std::vector<std::string>{"scope/other"});

  // Deleting a missing package is a no-op; the mutator sees nullopt.
  bool saw_nullopt = false;
  ARCA_ASSERT_OK_AND_ASSIGN(
      out, store().mutate_package(repo, npm_key(), [&](const std::optional<PackageSnapshot>& s) {
        saw_nullopt = !s.has_value();
        return Result<PackageMutation>(del);
      }));
  EXPECT_TRUE(saw_nullopt);
  EXPECT_FALSE(out.package_existed);

  // A recreated package starts empty (no old versions or tags).
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(create({make_version("3.0.0")}))));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(s), std::vector<std::string>{"3.0.0"});
  EXPECT_TRUE(s.package.dist_tags.empty());
}

TEST_P(MetadataStoreConformance, MutatorErrorWritesNothing) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  auto failing = [](const std::optional<PackageSnapshot>&) -> Result<PackageMutation> {
    return failed_precondition("revision mismatch", "package", "pkg");
  };
  auto r = store().mutate_package(repo, npm_key(), failing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kFailedPrecondition);
  EXPECT_EQ(r.error().message, "revision mismatch");  // returned as is
  EXPECT_EQ(r.error().resource_id, "pkg");
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");

  ARCA_ASSERT_OK(store().mutate_package(
      repo, npm_key(), set(create({make_version("1.0.0", {make_asset("a", sha('a'), 1)})}))));
  EXPECT_EQ(code_of(store().mutate_package(repo, npm_key(), failing)), "FAILED_PRECONDITION");
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(s), std::vector<std::string>{"1.0.0"});
}

TEST_P(MetadataStoreConformance, CreatingAPackageWithoutOriginIsInternal) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageMutation m;
  m.upsert_versions = {make_version("1.0.0", {make_asset("a", sha('a'), 1)})};
  EXPECT_EQ(code_of(store().mutate_package(repo, npm_key(), set(m))), "INTERNAL");
  PackageMutation tags_only;
  tags_only.dist_tags = {{"latest", "1.0.0"}};
  EXPECT_EQ(code_of(store().mutate_package(repo, npm_key(), set(tags_only))), "INTERNAL");
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");
  EXPECT_EQ(*store().count_blob_references(sha('a')), 0u);
  // A mutation with no writes on a missing package creates nothing and succeeds.
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out,
                            store().mutate_package(repo, npm_key(), set(PackageMutation{})));
  EXPECT_FALSE(out.package_existed);
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, ListPackagesFiltersAndPages) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "other"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  struct P {
    PackageKey key;
    OriginRestrictions origin;
  };
  const std::vector<P> all = {
      {{"npm", "", "lodash"}, {"ALLOW", "BLOCK"}},
      {{"npm", "", "lo_x"}, {"ALLOW", "ALLOW"}},
      {{"npm", "scope", "alpha"}, {"BLOCK", "BLOCK"}},
      {{"npm", "scope", "lodash"}, {"ALLOW", "ALLOW"}},
      {{"npm", "sc_pe", "beta"}, {"ALLOW", "BLOCK"}},
      {{"pypi", "", "lodash"}, {"ALLOW", "BLOCK"}},
      {{"pypi", "", "requests"}, {"BLOCK", "ALLOW"}},
      {{"maven", "com.example", "lib"}, {"ALLOW", "BLOCK"}},
  };
  for (const auto& p : all) {
    PackageMutation m;
    m.origin = p.origin;
    m.dist_tags = {{"latest", "1.0.0"}};
    ARCA_ASSERT_OK(store().mutate_package(repo, p.key, set(m)));
  }
  // A package in another repository is never listed.
  ARCA_ASSERT_OK(store().mutate_package(RepositoryRef{kOwner, "d", "other"},
                                        PackageKey{"npm", "", "elsewhere"}, set(create())));

  auto list = [&](PackageFilter f) {
    auto r = store().list_packages(repo, f, Page{"", 100});
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> out;
    if (!r) return out;
    for (const auto& p : *r)
      out.push_back(p.key.format + ":" + p.key.namespace_ + "/" + p.key.name);
    return out;
  };
  EXPECT_EQ(list({}),
            (std::vector<std::string>{"maven:com.example/lib", "npm:/lo_x", "npm:/lodash",
                                      "npm:sc_pe/beta", "npm:scope/alpha", "npm:scope/lodash",
                                      "pypi:/lodash", "pypi:/requests"}));
  EXPECT_EQ(list({.format = "pypi"}), (std::vector<std::string>{"pypi:/lodash", "pypi:/requests"}));
  EXPECT_EQ(list({.format = "nuget"}), std::vector<std::string>{});
  EXPECT_EQ(list({.namespace_prefix = "sc"}),
            (std::vector<std::string>{"npm:sc_pe/beta", "npm:scope/alpha", "npm:scope/lodash"}));
  // '_' and '%' are literal characters, not LIKE wildcards.
  EXPECT_EQ(list({.namespace_prefix = "sc_"}), std::vector<std::string>{"npm:sc_pe/beta"});
  EXPECT_EQ(list({.name_prefix = "lo_"}), std::vector<std::string>{"npm:/lo_x"});
  EXPECT_EQ(list({.name_prefix = "%"}), std::vector<std::string>{});
  EXPECT_EQ(list({.name_prefix = "LO"}), std::vector<std::string>{});  // case-sensitive
  EXPECT_EQ(list({.format = "npm", .name_prefix = "lo"}),
            (std::vector<std::string>{"npm:/lo_x", "npm:/lodash", "npm:scope/lodash"}));
  EXPECT_EQ(list({.namespace_prefix = "scope", .name_prefix = "lodash"}),
            std::vector<std::string>{"npm:scope/lodash"});
  // An empty namespace prefix filters nothing.
  EXPECT_EQ(list({.namespace_prefix = ""}).size(), all.size());
  EXPECT_EQ(list({.publish = "BLOCK"}),
            (std::vector<std::string>{"npm:scope/alpha", "pypi:/requests"}));
  EXPECT_EQ(list({.upstream = "ALLOW"}),
            (std::vector<std::string>{"npm:/lo_x", "npm:scope/lodash", "pypi:/requests"}));
  EXPECT_EQ(list({.publish = "ALLOW", .upstream = "ALLOW"}),
            (std::vector<std::string>{"npm:/lo_x", "npm:scope/lodash"}));

  // Listed packages carry their dist-tags but no versions.
  ARCA_ASSERT_OK_AND_ASSIGN(auto one, store().list_packages(repo, {.format = "maven"}, Page{}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].dist_tags.at("latest"), "1.0.0");
  EXPECT_EQ(one[0].origin, (OriginRestrictions{"ALLOW", "BLOCK"}));

  // Pages of 3 walk every package once, in order, whatever is created or deleted in between.
  std::vector<std::string> walked;
  Page page{"", 3};
  for (int round = 0; round < 10; ++round) {
    ARCA_ASSERT_OK_AND_ASSIGN(auto got, store().list_packages(repo, PackageFilter{}, page));
    for (const auto& p : got) walked.push_back(p.key.format + ":" + p.key.name);
    if (got.size() < page.limit) break;
    page.after = package_cursor(got.back().key);
    if (round == 0) {
      // Delete the next package and add one before the cursor: neither breaks the walk.
      PackageMutation del;
      del.delete_package = true;
      ARCA_ASSERT_OK(store().mutate_package(repo, PackageKey{"npm", "sc_pe", "beta"}, set(del)));
      ARCA_ASSERT_OK(store().mutate_package(repo, PackageKey{"cargo", "", "a"}, set(create())));
    }
  }
  EXPECT_EQ(walked, (std::vector<std::string>{"maven:lib", "npm:lo_x", "npm:lodash", "npm:alpha",
                                              "npm:lodash", "pypi:lodash", "pypi:requests"}));
  EXPECT_TRUE(store().list_packages(repo, {}, Page{"", 0}).value().empty());
  EXPECT_EQ(code_of(store().list_packages(repo, {}, Page{"no-separators", 10})),
            "INVALID_ARGUMENT");
}

TEST_P(MetadataStoreConformance, BlobSharedAcrossRepositoriesIsReleasedByTheLastReference) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r1"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r2"), 10));
  const RepositoryRef r1{kOwner, "d", "r1"}, r2{kOwner, "d", "r2"};
  auto one = create({make_version("1.0.0", {make_asset("pkg.tgz", sha('a'), 100)})});
  ARCA_ASSERT_OK(store().mutate_package(r1, npm_key(), set(one)));
  ARCA_ASSERT_OK(store().mutate_package(r2, npm_key(), set(one)));
  EXPECT_EQ(*store().count_blob_references(sha('a')), 2u);

  PackageMutation del;
  del.delete_versions = {"1.0.0"};
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out, store().mutate_package(r1, npm_key(), set(del)));
  EXPECT_TRUE(out.unreferenced_blobs.empty());
  EXPECT_EQ(*store().count_blob_references(sha('a')), 1u);
  ARCA_ASSERT_OK_AND_ASSIGN(out, store().mutate_package(r2, npm_key(), set(del)));
  EXPECT_EQ(out.unreferenced_blobs, std::vector<std::string>{sha('a')});
  EXPECT_EQ(*store().count_blob_references(sha('a')), 0u);
}

TEST_P(MetadataStoreConformance, RepositoryDeleteCascadesToPackages) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageVersion v = make_version("1.0.0", {make_asset("a", sha('a'), 7)});
  v.dependencies = {{"", "dep", "dependencies", "1"}};
  v.licenses = {{"MIT", ""}};
  PackageMutation m = create({v});
  m.dist_tags = {{"latest", "1.0.0"}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(m)));
  ARCA_ASSERT_OK(store().delete_repository(kOwner, "d", "r"));
  EXPECT_EQ(*store().count_blob_references(sha('a')), 0u);
  EXPECT_EQ(*store().domain_asset_bytes(kOwner, "d"), 0u);

  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed, store().list_packages(repo, PackageFilter{}, Page{}));
  EXPECT_TRUE(listed.empty());
  EXPECT_EQ(code_of(store().get_package(repo, npm_key())), "NOT_FOUND");
  // The domain can now be deleted once its repository is gone.
  ARCA_ASSERT_OK(store().delete_repository(kOwner, "d", "r"));
  ARCA_EXPECT_OK(store().delete_domain(kOwner, "d"));
}

TEST_P(MetadataStoreConformance, DomainAssetBytesCountsEachBlobOnce) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r1"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r2"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "e", "r1"), 10));
  EXPECT_EQ(*store().domain_asset_bytes(kOwner, "d"), 0u);
  EXPECT_EQ(code_of(store().domain_asset_bytes(kOwner, "missing")), "NOT_FOUND");

  const uint64_t big = uint64_t{5} << 32;  // sizes above 4 GiB survive
  PackageVersion v1 =
      make_version("1.0.0", {make_asset("a", sha('a'), 100), make_asset("b", sha('b'), big)});
  PackageVersion v2 = make_version("2.0.0", {make_asset("a-again", sha('a'), 100)});
  v2.status = "Disposed";  // status does not matter
  ARCA_ASSERT_OK(store().mutate_package({kOwner, "d", "r1"}, npm_key(), set(create({v1, v2}))));
  ARCA_ASSERT_OK(store().mutate_package(
      {kOwner, "d", "r2"}, PackageKey{"pypi", "", "p"},
      set(create(
          {make_version("1", {make_asset("w", sha('a'), 100), make_asset("c", sha('c'), 1)})}))));
  ARCA_ASSERT_OK(
      store().mutate_package({kOwner, "e", "r1"}, npm_key(),
                             set(create({make_version("1", {make_asset("z", sha('z'), 9)})}))));
  EXPECT_EQ(*store().domain_asset_bytes(kOwner, "d"), 100 + big + 1);
  EXPECT_EQ(*store().domain_asset_bytes(kOwner, "e"), 9u);
  EXPECT_EQ(*store().count_blob_references(sha('a')), 3u);
}

TEST_P(MetadataStoreConformance, ConcurrentMutationsOfOnePackageAreSerialized) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  constexpr int kThreads = 20;
  auto run = [&](auto fn) {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    std::vector<Code> codes(kThreads, Code::kInternal);
    std::vector<bool> ok(kThreads, false);
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto r = fn(i);
        ok[static_cast<size_t>(i)] = static_cast<bool>(r);
        if (!r) codes[static_cast<size_t>(i)] = r.error().code;
      });
    }
    for (auto& t : threads) t.join();
    return std::make_pair(ok, codes);
  };

  // Each thread adds its own version (creating the package if needed): all 20 land.
  auto [added, add_codes] = run([&](int i) {
    return store().mutate_package(repo, npm_key(), [i](const std::optional<PackageSnapshot>& s) {
      PackageMutation m;
      if (!s) m.origin = OriginRestrictions{};
      m.upsert_versions = {make_version("1.0." + std::to_string(i))};
      return Result<PackageMutation>(m);
    });
  });
  EXPECT_EQ(std::count(added.begin(), added.end(), true), kThreads);
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
  EXPECT_EQ(s.versions.size(), static_cast<size_t>(kThreads));

  // Each thread inserts the same version unless it exists: exactly one wins.
  auto [won, won_codes] = run([&](int i) {
    return store().mutate_package(repo, npm_key(), [i](const std::optional<PackageSnapshot>& s) {
      for (const auto& v : s->versions) {
        if (v.version == "2.0.0") return Result<PackageMutation>(failed_precondition("exists"));
      }
      PackageMutation m;
      m.upsert_versions = {make_version("2.0.0", {make_asset("t", sha('a' + i % 20), 1)})};
      return Result<PackageMutation>(m);
    });
  });
  EXPECT_EQ(std::count(won.begin(), won.end(), true), 1);
  EXPECT_EQ(std::count(won_codes.begin(), won_codes.end(), Code::kFailedPrecondition),
            kThreads - 1);
  ARCA_ASSERT_OK_AND_ASSIGN(s, store().get_package(repo, npm_key()));
  EXPECT_EQ(s.versions.size(), static_cast<size_t>(kThreads + 1));
}

TEST_P(MetadataStoreConformance, FiveHundredVersionSnapshotIsQuick) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  constexpr int kVersions = 500;
  std::vector<PackageVersion> versions;
  for (int i = 0; i < kVersions; ++i) {
    std::string ver = "1." + std::to_string(i / 100) + "." + std::to_string(i % 100);
    PackageVersion v = make_version(ver, {make_asset("pkg-" + ver + ".tgz", sha('a'), 1000),
                                          make_asset("package.json", sha('b'), 200)});
    v.dependencies = {{"", "dep-a", "dependencies", "^1"}, {"", "dep-b", "dependencies", "^2"}};
    v.licenses = {{"MIT", ""}};
    v.format_metadata = std::string(2000, 'j');
    v.readme = std::string(1000, 'r');
    versions.push_back(std::move(v));
  }
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(create(versions))));

  using Clock = std::chrono::steady_clock;
  using Ms = std::chrono::duration<double, std::milli>;
  (void)store().get_package(repo, npm_key());  // warm the statement cache
  // The best of several rounds: CI machines are shared, the minimum is the store's own cost.
  constexpr int kRounds = 10;
  double read_ms = 1e9;
  for (int i = 0; i < kRounds; ++i) {
    auto start = Clock::now();
    ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot s, store().get_package(repo, npm_key()));
    read_ms = std::min(read_ms, Ms(Clock::now() - start).count());
    ASSERT_EQ(s.versions.size(), static_cast<size_t>(kVersions));
    ASSERT_EQ(s.versions.back().assets.size(), 2u);
    ASSERT_EQ(s.versions.back().dependencies.size(), 2u);
  }
  double mutate_ms = 1e9;
  for (int i = 0; i < kRounds; ++i) {
    PackageMutation m;
    m.dist_tags = {{"latest", versions[static_cast<size_t>(i)].version}};
    auto start = Clock::now();
    ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(m)));
    mutate_ms = std::min(mutate_ms, Ms(Clock::now() - start).count());
  }
  std::printf(
      "[ timing   ] %s: %d versions: get_package %.2f ms, mutate_package (load, tag, "
      "commit) %.2f ms (best of %d)\n",
      GetParam().name.c_str(), kVersions, read_ms, mutate_ms, kRounds);
  EXPECT_LT(read_ms, 500.0);  // generous for slow CI; a few ms expected
}

TEST_P(MetadataStoreConformance, MutateVersionsSeesAndTouchesOnlyTheNamedVersions) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  const RepositoryRef repo{kOwner, "d", "r"};
  PackageMutation c = create({make_version("1.0.0", {make_asset("a", sha('a'), 1)}),
                              make_version("2.0.0", {make_asset("b", sha('b'), 1)})});
  c.dist_tags = {{"latest", "2.0.0"}};
  ARCA_ASSERT_OK(store().mutate_package(repo, npm_key(), set(c)));

  // The package row and tags, and only the named versions that exist.
  std::optional<PackageSnapshot> seen;
  ARCA_ASSERT_OK_AND_ASSIGN(MutationOutcome out,
                            store().mutate_versions(repo, npm_key(), {"3.0.0", "2.0.0"},
                                                    [&](const std::optional<PackageSnapshot>& s) {
                                                      seen = s;
                                                      PackageMutation m;
                                                      m.upsert_versions = {make_version("3.0.0")};
                                                      m.dist_tags = {{"latest", "3.0.0"}};
                                                      return Result<PackageMutation>(m);
                                                    }));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->package.key, npm_key());
  EXPECT_EQ(seen->package.dist_tags.at("latest"), "2.0.0");
  EXPECT_EQ(versions_of(*seen), std::vector<std::string>{"2.0.0"});
  EXPECT_EQ(seen->versions[0].assets, std::vector<Asset>{make_asset("b", sha('b'), 1)});
  EXPECT_TRUE(out.package_existed);
  ARCA_ASSERT_OK_AND_ASSIGN(PackageSnapshot all, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(all), (std::vector<std::string>{"1.0.0", "2.0.0", "3.0.0"}));
  EXPECT_EQ(all.package.dist_tags.at("latest"), "3.0.0");

  // Replacing a named version reports the blob it no longer references.
  ARCA_ASSERT_OK_AND_ASSIGN(
      out, store().mutate_versions(repo, npm_key(), {"2.0.0"}, set([] {
                                     PackageMutation m;
                                     m.upsert_versions = {
                                         make_version("2.0.0", {make_asset("c", sha('c'), 1)})};
                                     return m;
                                   }())));
  EXPECT_EQ(out.unreferenced_blobs, std::vector<std::string>{sha('b')});

  // Touching another version, or deleting the package, is a caller bug: nothing is written.
  PackageMutation other;
  other.upsert_versions = {make_version("1.0.0")};
  EXPECT_EQ(code_of(store().mutate_versions(repo, npm_key(), {"2.0.0"}, set(other))), "INTERNAL");
  PackageMutation drop;
  drop.delete_versions = {"1.0.0"};
  EXPECT_EQ(code_of(store().mutate_versions(repo, npm_key(), {"2.0.0"}, set(drop))), "INTERNAL");
  PackageMutation del;
  del.delete_package = true;
  EXPECT_EQ(code_of(store().mutate_versions(repo, npm_key(), {"2.0.0"}, set(del))), "INTERNAL");
  ARCA_ASSERT_OK_AND_ASSIGN(all, store().get_package(repo, npm_key()));
  EXPECT_EQ(versions_of(all), (std::vector<std::string>{"1.0.0", "2.0.0", "3.0.0"}));
  EXPECT_EQ(all.versions[0].assets, std::vector<Asset>{make_asset("a", sha('a'), 1)});

  // A missing package is nullopt and may be created; a missing repository is kNotFound.
  bool saw_nullopt = false;
  ARCA_ASSERT_OK_AND_ASSIGN(
      out, store().mutate_versions(
               repo, npm_key("new"), {"1.0.0"}, [&](const std::optional<PackageSnapshot>& s) {
                 saw_nullopt = !s.has_value();
                 return Result<PackageMutation>(create({make_version("1.0.0")}));
               }));
  EXPECT_TRUE(saw_nullopt);
  EXPECT_FALSE(out.package_existed);
  EXPECT_EQ(code_of(store().get_package(repo, npm_key("new"))), "OK");
  bool called = false;
  auto missing = store().mutate_versions(RepositoryRef{kOwner, "d", "nope"}, npm_key(), {"1.0.0"},
                                         [&](const auto&) -> Result<PackageMutation> {
                                           called = true;
                                           return create();
                                         });
  EXPECT_EQ(code_of(missing), "NOT_FOUND");
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace arca::store::conformance
