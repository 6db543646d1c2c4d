#include "core/packages.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "unit/core/core_fixture.h"

namespace arca::core {
namespace {

namespace fs = std::filesystem;

class PackagesTest : public testing::CoreFixture {
 protected:
  void SetUp() override {
    set_up("arca-pkg");
    for (const char* r : {"repo", "other"})
      ASSERT_TRUE(control_->create_repository(caller_, {{}, "dom", r}, "", {}, {}));
  }

  Result<store::PackageVersion> publish(const std::string& version, const std::string& bytes) {
    NewVersion nv;
    nv.version.version = version;
    nv.version.assets.push_back(put_blob(bytes));
    nv.dist_tags["latest"] = version;
    return packages_->publish(repo(), key_, nv);
  }

  PackageInput input(const char* r = "repo") { return {{{}, "dom", r}, "npm", "", "pkg"}; }

  store::PackageKey key_{"npm", "", "pkg"};
};

TEST(PackageKeys, NormalizeAndValidatePerFormat) {
  EXPECT_EQ(make_package_key("pypi", "", "Pigeon_CLI..x").value().name, "pigeon-cli-x");
  EXPECT_EQ(make_package_key("nuget", "", "Newtonsoft.JSON").value().name, "newtonsoft.json");
  auto swift = make_package_key("swift", "Apple", "Swift-NIO").value();
  EXPECT_EQ(swift.namespace_, "apple");
  EXPECT_EQ(swift.name, "swift-nio");
  EXPECT_EQ(make_package_key("npm", "scope", "Name").value().name, "Name");
  EXPECT_FALSE(make_package_key("maven", "", "artifact"));  // namespace required
  EXPECT_FALSE(make_package_key("pypi", "ns", "x"));        // namespace forbidden
  EXPECT_FALSE(make_package_key("npm", "", "a/b"));
  EXPECT_FALSE(make_package_key("npm", "", "a b"));
  EXPECT_FALSE(make_package_key("npm", "", std::string(256, 'a')));
  EXPECT_FALSE(make_package_key("rpm", "", "x"));
}

TEST_F(PackagesTest, PublishOnceThenConflict) {
  auto v = publish("1.0.0", "one");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->status, "Published");
  EXPECT_EQ(v->origin_type, "INTERNAL");
  EXPECT_EQ(v->entry_repository, "repo");
  EXPECT_FALSE(v->revision.empty());
  auto again = publish("1.0.0", "two");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::kAlreadyExists);
  // The refused publish's bytes are not kept; the winner's are.
  auto blobs = blobs_->list().value();
  ASSERT_EQ(blobs.size(), 1u);
  EXPECT_EQ(blobs[0], v->assets[0].sha256);
  auto pkg = packages_->describe_package(caller_, input()).value();
  EXPECT_EQ(pkg.origin.publish, "ALLOW");
  EXPECT_EQ(pkg.origin.upstream, "BLOCK");
}

TEST_F(PackagesTest, DomainCountsDistinctAssetBytes) {
  ASSERT_TRUE(publish("1.0.0", "12345"));
  ASSERT_TRUE(publish("1.1.0", "1234567"));
  BatchRequest req;
  req.versions = {"1.0.0"};
  ASSERT_TRUE(packages_->copy_versions(caller_, input(), "other", req, false, false));
  EXPECT_EQ(control_->describe_domain(caller_, {}, "dom").value().asset_size_bytes, 12u);
}

TEST_F(PackagesTest, StatusBatchIsAllOrNothing) {
  ASSERT_TRUE(publish("1.0.0", "a"));
  ASSERT_TRUE(publish("1.1.0", "b"));
  BatchRequest req;
  req.versions = {"1.0.0", "9.9.9"};
  auto r = packages_->update_status(caller_, input(), req, "Archived").value();
  EXPECT_TRUE(r.successful.empty());
  EXPECT_EQ(r.failed.at("9.9.9").code, "NOT_FOUND");
  EXPECT_EQ(r.failed.at("1.0.0").code, "SKIPPED");
  EXPECT_EQ(packages_->describe_version(caller_, input(), "1.0.0").value().status, "Published");

  req.versions = {"1.0.0"};
  req.expected_status = "Unlisted";
  r = packages_->update_status(caller_, input(), req, "Archived").value();
  EXPECT_EQ(r.failed.at("1.0.0").code, "MISMATCHED_STATUS");

  req.expected_status.reset();
  auto before = packages_->describe_version(caller_, input(), "1.0.0").value();
  r = packages_->update_status(caller_, input(), req, "Unlisted").value();
  ASSERT_EQ(r.successful.count("1.0.0"), 1u);
  EXPECT_EQ(r.successful.at("1.0.0").status, "Unlisted");
  auto after = packages_->describe_version(caller_, input(), "1.0.0").value();
  EXPECT_EQ(after.status, "Unlisted");
  EXPECT_EQ(after.revision, before.revision);  // status-only change keeps the revision
  EXPECT_FALSE(packages_->update_status(caller_, input(), req, "Disposed"));  // not a target
}

TEST_F(PackagesTest, RevisionMismatchAndDisposedIsFinal) {
  ASSERT_TRUE(publish("1.0.0", "a"));
  BatchRequest req;
  req.version_revisions["1.0.0"] = "stale";
  auto r = packages_->dispose_versions(caller_, input(), req).value();
  EXPECT_EQ(r.failed.at("1.0.0").code, "MISMATCHED_REVISION");

  req.version_revisions.clear();
  req.versions = {"1.0.0"};
  auto asset = packages_->describe_version(caller_, input(), "1.0.0").value().assets.at(0);
  r = packages_->dispose_versions(caller_, input(), req).value();
  ASSERT_EQ(r.successful.at("1.0.0").status, "Disposed");
  EXPECT_FALSE(blobs_->stat(asset.sha256));  // storage reclaimed
  auto v = packages_->describe_version(caller_, input(), "1.0.0").value();
  EXPECT_TRUE(v.assets.empty());
  r = packages_->update_status(caller_, input(), req, "Published").value();
  EXPECT_EQ(r.failed.at("1.0.0").code, "NOT_ALLOWED");
  EXPECT_FALSE(packages_->open_asset(repo(), key_, "1.0.0", asset.name));
}

TEST_F(PackagesTest, DeleteThenRepublish) {
  ASSERT_TRUE(publish("1.0.0", "a"));
  BatchRequest req;
  req.versions = {"1.0.0"};
  auto r = packages_->delete_versions(caller_, input(), req).value();
  EXPECT_EQ(r.successful.at("1.0.0").status, "Deleted");
  EXPECT_FALSE(packages_->describe_version(caller_, input(), "1.0.0"));
  EXPECT_TRUE(publish("1.0.0", "b"));
}

TEST_F(PackagesTest, DownloadsFollowStatus) {
  ASSERT_TRUE(publish("1.0.0", "bytes"));
  EXPECT_TRUE(packages_->open_asset(repo(), key_, "1.0.0", "pkg.tgz"));
  BatchRequest req;
  req.versions = {"1.0.0"};
  ASSERT_TRUE(packages_->update_status(caller_, input(), req, "Unlisted"));
  EXPECT_TRUE(packages_->open_asset(repo(), key_, "1.0.0", "pkg.tgz"));
  ASSERT_TRUE(packages_->update_status(caller_, input(), req, "Archived"));
  EXPECT_FALSE(packages_->open_asset(repo(), key_, "1.0.0", "pkg.tgz"));
}

// Retention adds its version to the package's cached snapshot instead of dropping it (a cold
// install would otherwise reload the whole package after each version it fetches); the result is
// what the store holds. Other writes still drop the snapshot.
TEST_F(PackagesTest, RetainedVersionJoinsTheCachedSnapshot) {
  auto retained = [&](const std::string& version) {
    store::PackageVersion v;
    v.version = version;
    v.origin_type = "EXTERNAL";
    v.entry_external_connection = "public:npmjs";
    v.published_time = 1700000000;
    v.assets.push_back(put_blob("bytes of " + version));
    return v;
  };
  ASSERT_TRUE(packages_->retain(repo(), key_, retained("1.0.1")));
  EXPECT_FALSE(packages_->peek_package(repo(), key_));  // created: nothing cached yet
  packages_->warm(repo(), key_);
  ASSERT_TRUE(packages_->peek_package(repo(), key_));

  for (const char* v : {"1.0.0", "1.0.2", "1.0.1"})
    ASSERT_TRUE(packages_->retain(repo(), key_, retained(v)));
  auto cached = packages_->peek_package(repo(), key_);
  ASSERT_TRUE(cached && *cached) << "the snapshot was dropped";
  auto stored = store_->get_package(repo(), key_).value();
  ASSERT_EQ((*cached)->versions.size(), 3u);
  EXPECT_EQ((*cached)->package.key, stored.package.key);
  EXPECT_EQ((*cached)->package.origin, stored.package.origin);
  EXPECT_EQ((*cached)->package.created_time, stored.package.created_time);
  for (size_t i = 0; i < 3; ++i) {
    const auto& c = (*cached)->versions[i];
    const auto& s = stored.versions[i];
    EXPECT_EQ(c.version, s.version);
    EXPECT_EQ(c.status, s.status);
    EXPECT_EQ(c.revision, s.revision);
    EXPECT_EQ(c.origin_type, s.origin_type);
    EXPECT_EQ(c.entry_external_connection, s.entry_external_connection);
    EXPECT_EQ(c.assets, s.assets);
  }

  BatchRequest req;
  req.versions = {"1.0.0"};
  ASSERT_TRUE(packages_->update_status(caller_, input(), req, "Unlisted"));
  EXPECT_FALSE(packages_->peek_package(repo(), key_));
}

TEST_F(PackagesTest, CopyIsIdempotentAndCarriesTags) {
  ASSERT_TRUE(publish("1.0.0", "a"));
  BatchRequest req;
  req.versions = {"1.0.0"};
  auto r = packages_->copy_versions(caller_, input(), "other", req, false, false).value();
  ASSERT_EQ(r.successful.count("1.0.0"), 1u)
      << (r.failed.empty() ? "" : r.failed.begin()->second.message);
  auto copied = packages_->read(repo("other"), key_).value();
  EXPECT_EQ(copied.package.dist_tags.at("latest"), "1.0.0");
  EXPECT_EQ(copied.versions.at(0).entry_repository, "repo");  // entry point kept
  r = packages_->copy_versions(caller_, input(), "other", req, false, false).value();
  EXPECT_TRUE(r.successful.empty());
  EXPECT_TRUE(r.failed.empty());  // identical: omitted from both maps
  req.versions = {"1.0.0", "2.0.0"};
  r = packages_->copy_versions(caller_, input(), "other", req, false, false).value();
  EXPECT_EQ(r.failed.at("2.0.0").code, "NOT_FOUND");
  EXPECT_EQ(r.failed.at("1.0.0").code, "SKIPPED");
}

TEST_F(PackagesTest, RecreatedRepositoryDoesNotServeOldPackages) {
  ASSERT_TRUE(publish("1.0.0", "old bytes"));
  ASSERT_TRUE(packages_->open_asset(repo(), key_, "1.0.0", "pkg.tgz"));  // now cached
  int repository_events = 0;
  packages_->add_listener([&](const store::RepositoryRef&, const store::PackageKey& key) {
    if (key.format.empty()) ++repository_events;
  });
  const std::string& owner = caller_.account_id;
  ASSERT_TRUE(packages_->repository(caller_, owner, "dom", "repo"));  // now remembered
  ASSERT_TRUE(control_->delete_repository(caller_, {{}, "dom", "repo"}));
  EXPECT_EQ(repository_events, 1);
  auto gone = packages_->repository(caller_, owner, "dom", "repo");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Code::kNotFound);
  ASSERT_TRUE(control_->create_repository(caller_, {{}, "dom", "repo"}, "", {}, {}));
  EXPECT_TRUE(packages_->repository(caller_, owner, "dom", "repo"));
  auth::Principal stranger{"999988887777", "x", "AKIAOTHER"};
  auto denied = packages_->repository(stranger, owner, "dom", "repo");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Code::kPermissionDenied);
  EXPECT_FALSE(packages_->repository(caller_, owner, "dom", "no such"));
  EXPECT_FALSE(packages_->open_asset(repo(), key_, "1.0.0", "pkg.tgz"));
}

TEST_F(PackagesTest, ListVersionsPagesAndSorts) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(publish("1.0." + std::to_string(i), std::to_string(i)));
  ListParams p;
  p.max_results = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto r = packages_->list_versions(caller_, input(), {}, p).value();
    for (const auto& v : r.versions) seen.push_back(v.version);
    EXPECT_EQ(r.default_display_version, "1.0.4");
    if (r.next_token.empty()) break;
    p.next_token = r.next_token;
  }
  EXPECT_EQ(seen.size(), 5u);
  VersionListFilter newest;
  newest.sort_by_published_time = true;
  EXPECT_EQ(packages_->list_versions(caller_, input(), newest, {}).value().versions.front().version,
            "1.0.4");
}

TEST_F(PackagesTest, OriginConfigurationCreatesAndDeletePackageRemoves) {
  PackageInput in = input();
  in.package = "fresh";
  auto got = packages_->put_origin_configuration(caller_, in, {"BLOCK", "ALLOW"});
  ASSERT_TRUE(got);
  auto pkg = packages_->describe_package(caller_, in).value();
  EXPECT_EQ(pkg.origin.publish, "BLOCK");
  EXPECT_FALSE(packages_->put_origin_configuration(caller_, in, {"MAYBE", "ALLOW"}));
  ASSERT_TRUE(packages_->delete_package(caller_, in));
  EXPECT_FALSE(packages_->describe_package(caller_, in));
}

}  // namespace
}  // namespace arca::core
