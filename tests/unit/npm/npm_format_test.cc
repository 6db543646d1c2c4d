#include "formats/npm/npm_format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/pull_through.h"
#include "formats/npm/packument.h"
#include "unit/npm/npm_fixture.h"
#include "unit/npm/npm_test_support.h"

namespace arca::formats::npm {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

using testing::kAccount;
using testing::kPrefix;
const std::string kUrl = "http://127.0.0.1:9/npm/d/dom-111122223333/repo/";

class NpmFormatTest : public testing::NpmFixture {
 protected:
  void SetUp() override { set_up("npm_format_test"); }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      bool spool = false) {
    http::Request r;
    r.method = method;
    r.path = kPrefix + target.substr(0, target.find('?'));
    if (size_t q = target.find('?'); q != std::string::npos) {
      r.raw_query = target.substr(q + 1);
      std::istringstream in(r.raw_query);
      for (std::string kv; std::getline(in, kv, '&');) {
        size_t eq = kv.find('=');
        r.query.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
      }
    }
    for (auto& [k, v] : headers) r.headers.add(k, v);
    std::string spool_path = dir_ + "/spool-body";
    if (spool) {
      std::ofstream(spool_path, std::ios::binary) << body;
      r.spooled = http::SpooledBody{spool_path, body.size(), crypto::sha256_hex(body)};
    } else {
      r.body = body;
    }
    auto ref = parse_endpoint_path(r.path);
    EXPECT_TRUE(ref);
    RequestContext ctx{*ref, caller_, {kAccount, "dom", "repo"}, kUrl};
    auto policy = npm_->body_policy(r, *ref);
    if (method == "PUT" && !target.starts_with("-/")) {
      EXPECT_EQ(policy.mode, http::BodyMode::kSpool) << target;
    }
    auto resp = npm_->handle(r, ctx);
    fs::remove(spool_path);
    return resp;
  }
  http::Response publish(const testing::DocSpec& spec, const std::string& target) {
    return call("PUT", target, testing::publish_document(spec), {}, true);
  }
  static std::string body(const http::Response& r) {
    if (const std::string* s = http::body_text(r)) return *s;
    if (auto* f = std::get_if<http::FileBody>(&r.body)) {
      std::ifstream in(f->path, std::ios::binary);
      std::string all((std::istreambuf_iterator<char>(in)), {});
      return all.substr(f->offset, f->length);
    }
    std::string out, chunk;
    auto& src = std::get<http::ChunkSource>(r.body);
    while (true) {
      chunk.clear();
      if (!src(chunk)) break;
      out += chunk;
    }
    return out;
  }
  static json::object obj(const http::Response& r) { return json::parse(body(r)).as_object(); }
  size_t blob_count() { return blobs_->list().value().size(); }
};

TEST_F(NpmFormatTest, PublishThenReadPackumentAndTarball) {
  EXPECT_EQ(call("GET", "@myscope%2flib").status, 404);
  testing::DocSpec spec;
  auto r = publish(spec, "@myscope%2flib");
  ASSERT_EQ(r.status, 201) << body(r);
  EXPECT_TRUE(obj(r).contains("ok"));

  for (const char* path : {"@myscope%2flib", "@myscope%2Flib", "@myscope/lib"}) {
    auto p = call("GET", path);
    ASSERT_EQ(p.status, 200) << path;
    auto doc = obj(p);
    EXPECT_EQ(doc.at("name").as_string(), "@myscope/lib");
    EXPECT_EQ(doc.at("dist-tags").at("latest").as_string(), "1.0.1");
    const auto& dist = doc.at("versions").at("1.0.1").at("dist").as_object();
    EXPECT_EQ(dist.at("tarball").as_string(), kUrl + "@myscope/lib/-/lib-1.0.1.tgz");
    EXPECT_EQ(dist.at("shasum").as_string(), crypto::digest_hex(crypto::Algo::kSha1, spec.tarball));
    EXPECT_EQ(
        dist.at("integrity").as_string(),
        "sha512-" + crypto::base64_encode(crypto::digest(crypto::Algo::kSha512, spec.tarball)));
    EXPECT_EQ(doc.at("readme").as_string(), "# lib");
  }
  for (const char* path : {"@myscope/lib/-/lib-1.0.1.tgz", "@myscope%2flib/-/lib-1.0.1.tgz"}) {
    auto t = call("GET", path);
    ASSERT_EQ(t.status, 200) << path;
    EXPECT_EQ(body(t), spec.tarball);
    EXPECT_EQ(*t.headers.get("ETag"), "\"" + crypto::sha256_hex(spec.tarball) + "\"");
    EXPECT_EQ(
        call("GET", path, "", {{"If-None-Match", std::string(*t.headers.get("ETag"))}}).status,
        304);
  }
  EXPECT_EQ(call("GET", "@myscope/lib/-/lib-9.9.9.tgz").status, 404);

  auto v = call("GET", "@myscope%2flib/latest");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(obj(v).at("version").as_string(), "1.0.1");
  EXPECT_EQ(call("GET", "@myscope%2flib/1.0.1").status, 200);
  EXPECT_EQ(call("GET", "@myscope%2flib/2.0.0").status, 404);
}

TEST_F(NpmFormatTest, AbbreviatedPackumentAndETag) {
  ASSERT_EQ(publish(testing::DocSpec{}, "@myscope%2flib").status, 201);
  const std::string accept =
      "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";
  auto a = call("GET", "@myscope%2flib", "", {{"Accept", accept}});
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(*a.headers.get("Content-Type"), std::string_view(kAbbreviatedType));
  EXPECT_FALSE(obj(a).contains("time"));
  auto etag = std::string(*a.headers.get("ETag"));
  EXPECT_EQ(call("GET", "@myscope%2flib", "", {{"Accept", accept}, {"If-None-Match", etag}}).status,
            304);
  auto full = call("GET", "@myscope%2flib?write=true", "", {{"Accept", accept}});
  EXPECT_TRUE(obj(full).contains("time"));
  EXPECT_NE(std::string(*full.headers.get("ETag")), etag);
}

TEST_F(NpmFormatTest, RepublishIsRefusedWithoutStoringTheTarball) {
  testing::DocSpec spec;
  ASSERT_EQ(publish(spec, "@myscope%2flib").status, 201);
  EXPECT_EQ(blob_count(), 1u);
  spec.tarball = testing::fake_tarball(2000);
  auto r = publish(spec, "@myscope%2flib");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(obj(r).at("error").as_string(),
            "You cannot publish over the previously published versions: 1.0.1.");
  EXPECT_EQ(blob_count(), 1u);
}

TEST_F(NpmFormatTest, InvalidPublishesStoreNothing) {
  testing::DocSpec spec;
  spec.integrity_override = "sha512-" + crypto::base64_encode(std::string(64, 'x'));
  EXPECT_EQ(publish(spec, "@myscope%2flib").status, 400);
  testing::DocSpec other;
  EXPECT_EQ(publish(other, "@myscope%2fother").status, 400);
  testing::DocSpec upper;
  upper.name = "Upper";
  EXPECT_EQ(publish(upper, "Upper").status, 400);
  testing::DocSpec spaced;
  spaced.name = "has space";
  EXPECT_EQ(publish(spaced, "has%20space").status, 400);
  EXPECT_EQ(call("PUT", "@myscope%2flib", "", {}, true).status, 400);
  EXPECT_EQ(call("PUT", "@myscope%2flib", "[1]", {}, true).status, 400);
  EXPECT_EQ(blob_count(), 0u);
  EXPECT_EQ(call("GET", "@myscope%2flib").status, 404);
}

TEST_F(NpmFormatTest, DistTags) {
  testing::DocSpec spec;
  ASSERT_EQ(publish(spec, "demo-pkg").status, 400);  // body names @myscope/lib
  spec.name = "demo-pkg";
  ASSERT_EQ(publish(spec, "demo-pkg").status, 201);
  spec.version = "2.0.0";
  spec.tarball = testing::fake_tarball(1500);
  ASSERT_EQ(publish(spec, "demo-pkg").status, 201);

  auto tags = call("GET", "-/package/demo-pkg/dist-tags");
  ASSERT_EQ(tags.status, 200);
  EXPECT_EQ(obj(tags), (json::object{{"latest", "2.0.0"}}));
  EXPECT_EQ(call("PUT", "-/package/demo-pkg/dist-tags/stable", "\"1.0.1\"").status, 201);
  EXPECT_EQ(obj(call("GET", "-/package/demo-pkg/dist-tags")),
            (json::object{{"latest", "2.0.0"}, {"stable", "1.0.1"}}));
  EXPECT_EQ(obj(call("GET", "demo-pkg/stable")).at("version").as_string(), "1.0.1");
  EXPECT_EQ(obj(call("GET", "demo-pkg")).at("dist-tags").at("stable").as_string(), "1.0.1");
  EXPECT_EQ(call("PUT", "-/package/demo-pkg/dist-tags/nope", "\"9.9.9\"").status, 404);
  EXPECT_EQ(call("PUT", "-/package/demo-pkg/dist-tags/1.0.0", "\"1.0.1\"").status, 400);
  EXPECT_EQ(call("DELETE", "-/package/demo-pkg/dist-tags/stable").status, 200);
  EXPECT_EQ(call("DELETE", "-/package/demo-pkg/dist-tags/stable").status, 404);
  EXPECT_EQ(obj(call("GET", "-/package/demo-pkg/dist-tags")), (json::object{{"latest", "2.0.0"}}));
}

TEST_F(NpmFormatTest, DeprecateByDocumentPut) {
  testing::DocSpec spec;
  ASSERT_EQ(publish(spec, "@myscope%2flib").status, 201);
  auto before = call("GET", "@myscope%2flib");  // cached from here on
  auto doc = obj(call("GET", "@myscope%2flib?write=true"));
  doc["versions"].as_object()["1.0.1"].as_object()["deprecated"] = "use 2";
  auto r = call("PUT", "@myscope%2flib", json::serialize(doc), {}, true);
  ASSERT_EQ(r.status, 200) << body(r);
  auto after = obj(call("GET", "@myscope%2flib"));
  EXPECT_EQ(after.at("versions").at("1.0.1").at("deprecated").as_string(), "use 2");
  EXPECT_NE(after.at("_rev"), obj(before).at("_rev"));
  // Un-deprecate with an empty message.
  after["versions"].as_object()["1.0.1"].as_object()["deprecated"] = "";
  ASSERT_EQ(call("PUT", "@myscope%2flib", json::serialize(after), {}, true).status, 200);
  EXPECT_FALSE(obj(call("GET", "@myscope%2flib/1.0.1")).contains("deprecated"));
}

TEST_F(NpmFormatTest, UnpublishOneVersionThenThePackage) {
  testing::DocSpec spec;
  ASSERT_EQ(publish(spec, "@myscope%2flib").status, 201);
  spec.version = "1.0.2";
  spec.tarball = testing::fake_tarball(3000);
  ASSERT_EQ(publish(spec, "@myscope%2flib").status, 201);

  // npm unpublish @myscope/lib@1.0.2: PUT the document without it, then DELETE its tarball.
  auto doc = obj(call("GET", "@myscope%2flib?write=true"));
  std::string rev(doc.at("_rev").as_string());
  doc["versions"].as_object().erase("1.0.2");
  doc["dist-tags"].as_object()["latest"] = "1.0.1";
  auto r = call("PUT", "@myscope%2flib/-rev/" + rev, json::serialize(doc), {}, true);
  ASSERT_EQ(r.status, 200) << body(r);
  EXPECT_EQ(call("DELETE", "@myscope/lib/-/lib-1.0.2.tgz/-rev/" + rev).status, 200);
  auto now = obj(call("GET", "@myscope%2flib"));
  EXPECT_EQ(now.at("versions").as_object().size(), 1u);
  EXPECT_EQ(now.at("dist-tags").at("latest").as_string(), "1.0.1");
  EXPECT_EQ(call("GET", "@myscope/lib/-/lib-1.0.2.tgz").status, 404);
  // The version may be published again.
  ASSERT_EQ(publish(spec, "@myscope%2flib").status, 201);

  auto all = call("DELETE", "@myscope%2flib/-rev/" + std::string(now.at("_rev").as_string()));
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(call("GET", "@myscope%2flib").status, 404);
}

TEST_F(NpmFormatTest, HiddenVersions) {
  testing::DocSpec spec;
  spec.name = "demo";
  ASSERT_EQ(publish(spec, "demo").status, 201);
  spec.version = "2.0.0";
  spec.tarball = testing::fake_tarball(1234);
  ASSERT_EQ(publish(spec, "demo").status, 201);
  ASSERT_EQ(obj(call("GET", "demo")).at("dist-tags").at("latest").as_string(), "2.0.0");

  core::PackageInput in{{kAccount, "dom", "repo"}, "npm", "", "demo"};
  ASSERT_TRUE(packages_->update_status(caller_, in, {{"2.0.0"}, {}, {}}, "Unlisted"));
  auto doc = obj(call("GET", "demo"));
  EXPECT_FALSE(doc.at("versions").as_object().contains("2.0.0"));
  EXPECT_EQ(doc.at("dist-tags").at("latest").as_string(), "1.0.1");
  EXPECT_EQ(call("GET", "demo/-/demo-2.0.0.tgz").status, 200);  // lockfiles keep working

  ASSERT_TRUE(packages_->update_status(caller_, in, {{"2.0.0"}, {}, {}}, "Archived"));
  EXPECT_EQ(call("GET", "demo/-/demo-2.0.0.tgz").status, 404);
  ASSERT_TRUE(packages_->update_status(caller_, in, {{"1.0.1"}, {}, {}}, "Unlisted"));
  EXPECT_EQ(call("GET", "demo").status, 404);
}

TEST_F(NpmFormatTest, MiscEndpoints) {
  EXPECT_EQ(obj(call("GET", "-/whoami")).at("username").as_string(), "alice");
  auto ping = call("GET", "-/ping?write=true");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(body(ping), "{}");
  auto login = call("PUT", "-/user/org.couchdb.user:alice", R"({"name":"alice"})");
  EXPECT_EQ(login.status, 400);
  EXPECT_NE(obj(login).at("error").as_string().find("aws codeartifact login"), std::string::npos);
  EXPECT_EQ(call("POST", "-/npm/v1/security/advisories/bulk", "{}").status, 404);
  EXPECT_EQ(call("GET", "-/nothing").status, 404);
  EXPECT_TRUE(obj(call("GET", "-/nothing")).contains("error"));

  testing::DocSpec spec;
  ASSERT_EQ(publish(spec, "@myscope%2flib").status, 201);
  spec.name = "other-thing";
  ASSERT_EQ(publish(spec, "other-thing").status, 201);
  auto s = obj(call("GET", "-/v1/search?text=lib&size=10"));
  ASSERT_EQ(s.at("objects").as_array().size(), 2u);  // name, then description match
  EXPECT_EQ(s.at("objects").at(0).at("package").at("name").as_string(), "@myscope/lib");
  EXPECT_EQ(s.at("total").to_number<uint64_t>(), 2u);
  auto none = obj(call("GET", "-/v1/search?text=zzz"));
  EXPECT_TRUE(none.at("objects").as_array().empty());
}

}  // namespace
}  // namespace arca::formats::npm
