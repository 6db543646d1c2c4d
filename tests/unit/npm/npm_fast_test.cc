// The I/O-thread fast path of package reads (PackageEndpoints::try_fast → NpmFormat::try_fast):
// it answers only from memory, exactly as the blocking path would, and otherwise declines.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "auth/access_keys.h"
#include "formats/endpoint.h"
#include "formats/npm/npm_format.h"
#include "unit/npm/npm_fixture.h"
#include "unit/npm/npm_test_support.h"
#include "util/clock.h"
#include "util/crypto.h"

namespace arca::formats::npm {
namespace {

namespace fs = std::filesystem;

using testing::kAccount;
using testing::kPrefix;

class NpmFastPathTest : public testing::NpmFixture {
 protected:
  void SetUp() override {
    set_up("npm_fast_test", [this] { make_access_key(); });
    make_endpoints();
  }

  http::Request request(const std::string& method, const std::string& target,
                        std::vector<std::pair<std::string, std::string>> headers = {},
                        bool with_token = true) {
    http::Request r;
    r.method = method;
    r.target = kPrefix + target;
    r.path = r.target;
    if (with_token) r.headers.add("Authorization", "Bearer " + token_);
    for (auto& [k, v] : headers) r.headers.add(k, v);
    return r;
  }
  http::Response slow(http::Request r) { return endpoints_->handle(r); }
  std::optional<http::Response> fast(http::Request r) { return endpoints_->try_fast(r); }

  void publish(const std::string& version) {
    testing::DocSpec spec;
    spec.version = version;
    auto r = request("PUT", "@myscope%2flib");
    r.body = testing::publish_document(spec);
    ASSERT_EQ(endpoints_->handle(r).status, 201);
  }

  // Same status, headers and body.
  static void expect_same(const http::Response& a, const http::Response& b) {
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.headers.items(), b.headers.items());
    const std::string* ta = http::body_text(a);
    const std::string* tb = http::body_text(b);
    ASSERT_EQ(ta == nullptr, tb == nullptr);
    if (ta) {
      EXPECT_EQ(*ta, *tb);
    }
    auto* fa = std::get_if<http::FileBody>(&a.body);
    auto* fb = std::get_if<http::FileBody>(&b.body);
    ASSERT_EQ(fa == nullptr, fb == nullptr);
    if (fa) {
      EXPECT_EQ(fa->path, fb->path);
      EXPECT_EQ(fa->offset, fb->offset);
      EXPECT_EQ(fa->length, fb->length);
      EXPECT_EQ(fa->immutable, fb->immutable);
    }
  }
};

TEST_F(NpmFastPathTest, CachedPackumentIsServedFromMemoryAsTheSlowPathServesIt) {
  publish("1.0.0");
  const std::string pkg = "@myscope%2flib";
  EXPECT_FALSE(fast(request("GET", pkg)));  // not rendered yet
  auto first = slow(request("GET", pkg));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.headers.get("X-Arca-Cache"), "HIT");
  auto f = fast(request("GET", pkg));
  ASSERT_TRUE(f);
  expect_same(*f, first);
  expect_same(*f, slow(request("GET", pkg)));

  // Another variant (abbreviated) is not cached until the slow path renders it.
  std::vector<std::pair<std::string, std::string>> corgi = {
      {"Accept", "application/vnd.npm.install-v1+json"}};
  EXPECT_FALSE(fast(request("GET", pkg, corgi)));
  auto abbreviated = slow(request("GET", pkg, corgi));
  auto fa = fast(request("GET", pkg, corgi));
  ASSERT_TRUE(fa);
  expect_same(*fa, abbreviated);

  // Conditional GET and HEAD.
  std::string etag(*first.headers.get("ETag"));
  auto nm = fast(request("GET", pkg, {{"If-None-Match", etag}}));
  ASSERT_TRUE(nm);
  EXPECT_EQ(nm->status, 304);
  expect_same(*nm, slow(request("GET", pkg, {{"If-None-Match", etag}})));
  auto head = fast(request("HEAD", pkg));
  ASSERT_TRUE(head);
  expect_same(*head, slow(request("HEAD", pkg)));

  // A write drops the cached document: the fast path declines until it is rendered again.
  publish("1.0.1");
  EXPECT_FALSE(fast(request("GET", pkg)));
  auto after = slow(request("GET", pkg));
  EXPECT_NE(after.headers.get("ETag"), first.headers.get("ETag"));
  auto again = fast(request("GET", pkg));
  ASSERT_TRUE(again);
  expect_same(*again, after);
}

TEST_F(NpmFastPathTest, TarballOfACachedSnapshotIsSentFromItsFile) {
  publish("1.0.0");
  const std::string tgz = "@myscope/lib/-/lib-1.0.0.tgz";
  EXPECT_FALSE(fast(request("GET", tgz)));  // the package snapshot is not cached yet
  auto first = slow(request("GET", tgz));
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(std::holds_alternative<http::FileBody>(first.body));
  EXPECT_TRUE(std::get<http::FileBody>(first.body).immutable);
  EXPECT_EQ(first.headers.get("X-Arca-Cache"), "HIT");
  auto f = fast(request("GET", tgz));
  ASSERT_TRUE(f);
  expect_same(*f, first);
  auto head = fast(request("HEAD", tgz));
  ASSERT_TRUE(head);
  expect_same(*head, slow(request("HEAD", tgz)));
  std::string etag(*first.headers.get("ETag"));
  auto nm = fast(request("GET", tgz, {{"If-None-Match", etag}}));
  ASSERT_TRUE(nm);
  EXPECT_EQ(nm->status, 304);
  expect_same(*nm, slow(request("GET", tgz, {{"If-None-Match", etag}})));

  // Errors are left to the slow path, which gives them.
  EXPECT_FALSE(fast(request("GET", "@myscope/lib/-/lib-9.9.9.tgz")));
  EXPECT_EQ(slow(request("GET", "@myscope/lib/-/lib-9.9.9.tgz")).status, 404);
  EXPECT_FALSE(fast(request("GET", "@myscope/lib/-/other-1.0.0.tgz")));

  // An unpublished version is gone from the fast path at once.
  auto del = request("DELETE", "@myscope/lib/-/lib-1.0.0.tgz/-rev/1");
  EXPECT_EQ(slow(del).status, 200);
  EXPECT_FALSE(fast(request("GET", tgz)));
  EXPECT_EQ(slow(request("GET", tgz)).status, 404);
}

TEST_F(NpmFastPathTest, TokenChecksAnswerAsTheSlowPathDoes) {
  publish("1.0.0");
  const std::string pkg = "@myscope%2flib";
  (void)slow(request("GET", pkg));  // cached: only the token stands in the way

  auto none_fast = fast(request("GET", pkg, {}, false));
  ASSERT_TRUE(none_fast);
  EXPECT_EQ(none_fast->status, 401);
  EXPECT_TRUE(none_fast->headers.get("WWW-Authenticate"));
  expect_same(*none_fast, slow(request("GET", pkg, {}, false)));

  auto bad = request("GET", pkg, {{"Authorization", "Bearer arca1.bogus.token"}}, false);
  auto bad_fast = fast(bad);
  ASSERT_TRUE(bad_fast);
  EXPECT_EQ(bad_fast->status, 401);
  expect_same(*bad_fast, slow(bad));

  std::string expired = tokens_->issue(caller_, kAccount, "dom", now_epoch_seconds() - 1);
  auto old = request("GET", pkg, {{"Authorization", "Bearer " + expired}}, false);
  auto old_fast = fast(old);
  ASSERT_TRUE(old_fast);
  expect_same(*old_fast, slow(old));

  std::string other = tokens_->issue(caller_, kAccount, "elsewhere", now_epoch_seconds() + 60);
  auto wrong = request("GET", pkg, {{"Authorization", "Bearer " + other}}, false);
  auto wrong_fast = fast(wrong);
  ASSERT_TRUE(wrong_fast);
  EXPECT_EQ(wrong_fast->status, 403);
  expect_same(*wrong_fast, slow(wrong));
}

TEST_F(NpmFastPathTest, DeclinesWhatItCannotAnswerFromMemory) {
  publish("1.0.0");
  // A fresh Packages has not seen the repository yet: the first read goes the slow way.
  core::Packages cold(*store_, *blobs_, *control_);
  EXPECT_FALSE(cold.peek_repository(caller_, kAccount, "dom", "repo"));
  ASSERT_TRUE(cold.repository(caller_, kAccount, "dom", "repo"));
  EXPECT_TRUE(cold.peek_repository(caller_, kAccount, "dom", "repo"));
  EXPECT_FALSE(cold.peek_repository(caller_, kAccount, "dom", "nope"));
  EXPECT_FALSE(cold.peek_repository(caller_, "999999999999", "dom", "repo"));

  (void)slow(request("GET", "@myscope%2flib"));
  EXPECT_FALSE(fast(request("GET", "@myscope%2flib/1.0.0")));  // version manifests: slow path
  EXPECT_FALSE(fast(request("GET", "-/whoami")));
  EXPECT_FALSE(fast(request("GET", "nosuchpackage")));
  EXPECT_FALSE(fast(request("PUT", "@myscope%2flib")));
  auto unknown_repo = request("GET", "@myscope%2flib");
  unknown_repo.path = unknown_repo.target = std::string("/npm/d/dom-") + kAccount + "/nope/x";
  EXPECT_FALSE(fast(unknown_repo));
  EXPECT_EQ(slow(unknown_repo).status, 404);
  auto other_format = request("GET", "x");
  other_format.path = other_format.target = std::string("/pypi/d/dom-") + kAccount + "/repo/x";
  EXPECT_FALSE(fast(other_format));

  // Without a cache-only resolver the front door never answers past the token check.
  PackageEndpoints plain(
      *tokens_,
      [this](const auth::Principal& c, const EndpointRef& ref) {
        return packages_->repository(c, ref.owner, ref.domain, ref.repository);
      },
      "http://127.0.0.1:9");
  plain.add_format("npm", *npm_);
  auto r = request("GET", "@myscope%2flib");
  EXPECT_FALSE(plain.try_fast(r));
}

TEST_F(NpmFastPathTest, VersionManifestIsMarkedAsServedFromTheStore) {
  publish("1.0.0");
  auto r = slow(request("GET", "@myscope%2flib/1.0.0"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("X-Arca-Cache"), "HIT");
}

TEST_F(NpmFastPathTest, SmallPublishBodiesAreBufferedLargeOrChunkedOnesSpooled) {
  auto policy = [&](std::optional<std::string> content_length) {
    auto r = request("PUT", "@myscope%2flib");
    if (content_length) r.headers.add("Content-Length", *content_length);
    return endpoints_->body_policy(r);
  };
  auto small = policy("30000");
  EXPECT_EQ(small.mode, http::BodyMode::kBuffer);
  EXPECT_EQ(small.max_bytes, NpmOptions{}.max_buffered_publish_bytes);
  EXPECT_EQ(policy(std::to_string(NpmOptions{}.max_buffered_publish_bytes)).mode,
            http::BodyMode::kBuffer);
  EXPECT_EQ(policy(std::to_string(NpmOptions{}.max_buffered_publish_bytes + 1)).mode,
            http::BodyMode::kSpool);
  EXPECT_EQ(policy(std::nullopt).mode, http::BodyMode::kSpool);  // chunked: size unknown
  EXPECT_EQ(policy("12x").mode, http::BodyMode::kSpool);
  // A buffered document publishes like a spooled one.
  publish("1.0.0");
  EXPECT_EQ(slow(request("GET", "@myscope%2flib/1.0.0")).status, 200);
}

}  // namespace
}  // namespace arca::formats::npm
