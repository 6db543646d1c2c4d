#include "formats/npm/publish_document.h"

#include <gtest/gtest.h>

#include <fstream>

#include "formats/npm/publish_plan.h"
#include "unit/npm/npm_test_support.h"

namespace arca::formats::npm {
namespace {

using testing::DocSpec;
using testing::fake_tarball;
using testing::publish_document;

struct StringSink : TarballSink {
  Status write(std::string_view bytes) override {
    out.append(bytes);
    return {};
  }
  std::string out;
};

Result<PublishDocument> parse(std::string_view text, TarballSink* sink, size_t chunk = 7,
                              ParseLimits limits = {}) {
  PublishDocumentParser p(sink, limits);
  for (size_t i = 0; i < text.size(); i += chunk) ARCA_TRY(p.write(text.substr(i, chunk)));
  return p.finish();
}

Result<PublishPlan> plan(const DocSpec& spec, const NpmName& url = {"myscope", "lib"}) {
  StringSink sink;
  ARCA_ASSIGN_OR_RETURN(auto doc, parse(publish_document(spec), &sink, 4096));
  return plan_publish(doc, url);
}

TEST(NpmPublishDocument, StreamsAttachmentAndKeepsTheRest) {
  DocSpec spec;
  spec.tarball = fake_tarball(100000);
  std::string text = publish_document(spec);
  for (size_t chunk : {size_t(1), size_t(3), size_t(4096), text.size()}) {
    StringSink sink;
    auto doc = parse(text, &sink, chunk);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(sink.out, spec.tarball) << chunk;
    EXPECT_TRUE(doc->has_attachments);
    EXPECT_FALSE(doc->doc.contains("_attachments"));
    ASSERT_EQ(doc->attachments.size(), 1u);
    const auto& a = doc->attachments[0];
    EXPECT_EQ(a.file, "@myscope/lib-1.0.1.tgz");
    EXPECT_EQ(a.size, spec.tarball.size());
    EXPECT_EQ(a.declared_length, static_cast<int64_t>(spec.tarball.size()));
    EXPECT_EQ(a.content_type, "application/octet-stream");
    EXPECT_EQ(a.sha1_hex, crypto::digest_hex(crypto::Algo::kSha1, spec.tarball));
    EXPECT_TRUE(a.gzip);
    EXPECT_EQ(doc->doc.at("name").as_string(), "@myscope/lib");
    EXPECT_EQ(doc->doc.at("versions").at("1.0.1").at("bin").at("lib").as_string(), "cli.js");
  }
}

TEST(NpmPublishDocument, ParsesFromSpooledFile) {
  DocSpec spec;
  std::string path = ::testing::TempDir() + "/npm_publish_doc.json";
  std::ofstream(path, std::ios::binary) << publish_document(spec);
  StringSink sink;
  auto doc = parse_publish_file(path, &sink);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(sink.out, spec.tarball);
  std::remove(path.c_str());
}

TEST(NpmPublishDocument, MetadataOnlyDocumentHasNoAttachments) {
  StringSink sink;
  auto doc = parse(R"({"name":"x","versions":{"1.0.0":{"deprecated":"no"}}})", &sink);
  ASSERT_TRUE(doc);
  EXPECT_FALSE(doc->has_attachments);
  EXPECT_TRUE(sink.out.empty());
}

TEST(NpmPublishDocument, RejectsMalformedInput) {
  StringSink sink;
  EXPECT_EQ(parse("[1,2]", &sink).error().code, Code::kInvalidArgument);
  EXPECT_EQ(parse("\"x\"", &sink).error().code, Code::kInvalidArgument);
  EXPECT_EQ(parse("{\"a\":", &sink).error().code, Code::kInvalidArgument);
  EXPECT_EQ(parse("{} x", &sink).error().code, Code::kInvalidArgument);
  EXPECT_EQ(parse(R"({"_attachments":{"f":{"data":12}}})", &sink).error().code,
            Code::kInvalidArgument);
  EXPECT_EQ(parse(R"({"_attachments":{"f":{"data":{"x":1}}}})", &sink).error().code,
            Code::kInvalidArgument);
}

TEST(NpmPublishDocument, RejectsBadBase64) {
  for (const char* data : {"AB$D", "AAAA=AAA", "A", "AB=", "AAA==="}) {
    DocSpec spec;
    spec.data = data;
    auto r = plan(spec);
    ASSERT_FALSE(r) << data;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find("base64"), std::string::npos) << r.error().message;
  }
}

TEST(NpmPublishDocument, CapsRetainedMembers) {
  std::string doc = R"({"name":"x","readme":")" + std::string(5000, 'r') + R"("})";
  StringSink sink;
  auto r = parse(doc, &sink, 100, ParseLimits{.max_retained_bytes = 4096});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge);
  // Attachment data does not count toward the cap.
  DocSpec spec;
  spec.tarball = fake_tarball(20000);
  spec.readme = "";
  EXPECT_TRUE(parse(publish_document(spec), &sink, 512, ParseLimits{.max_retained_bytes = 4096}));
}

TEST(NpmPublishDocument, RejectsDeepNesting) {
  std::string doc = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  StringSink sink;
  EXPECT_EQ(parse(doc, &sink).error().code, Code::kInvalidArgument);
}

TEST(NpmPublishPlan, AcceptsAValidDocument) {
  auto p = plan(DocSpec{});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->version, "1.0.1");
  EXPECT_EQ(p->tags, std::vector<std::string>{"latest"});
  EXPECT_EQ(p->readme, "# lib");

  blob::BlobInfo info{"ab", 1000, "md5", p->attachment.sha1_hex,
                      crypto::to_hex(p->attachment.sha512_raw)};
  store::PackageVersion v = build_version(*p, info);
  EXPECT_EQ(v.display_name, "@myscope/lib");
  EXPECT_EQ(v.summary, "A test library");
  EXPECT_EQ(v.home_page, "https://example.invalid/lib");
  EXPECT_EQ(v.source_code_repository, "git+https://example.invalid/l.git");
  ASSERT_EQ(v.licenses.size(), 1u);
  EXPECT_EQ(v.licenses[0].name, "MIT");
  ASSERT_EQ(v.assets.size(), 1u);
  EXPECT_EQ(v.assets[0].name, "lib-1.0.1.tgz");
  EXPECT_EQ(v.assets[0].sha256, "ab");
  ASSERT_EQ(v.dependencies.size(), 4u);
  EXPECT_EQ(v.dependencies[0].namespace_, "types");
  EXPECT_EQ(v.dependencies[0].package, "node");
  EXPECT_EQ(v.dependencies[0].dependency_type, "regular");
  EXPECT_EQ(v.dependencies[2].dependency_type, "dev");
  EXPECT_EQ(v.dependencies[3].dependency_type, "peer");
  auto m = boost::json::parse(v.format_metadata).as_object();
  EXPECT_FALSE(m.contains("readme"));
  EXPECT_EQ(m.at("dist").at("tarball").as_string(), "@myscope/lib/-/lib-1.0.1.tgz");
  EXPECT_EQ(m.at("dist").at("shasum").as_string(), p->attachment.sha1_hex);
  EXPECT_EQ(m.at("_id").as_string(), "@myscope/lib@1.0.1");
}

TEST(NpmPublishPlan, RejectsIntegrityMismatch) {
  DocSpec spec;
  spec.integrity_override = "sha512-" + crypto::base64_encode(std::string(64, 'x'));
  auto r = plan(spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("integrity"), std::string::npos);
  spec.integrity_override =
      "sha1-" + crypto::base64_encode(crypto::digest(crypto::Algo::kSha1, "other"));
  EXPECT_FALSE(plan(spec));
  // Unknown algorithms are skipped, known ones still checked.
  spec.integrity_override = "sha384-AAAA";
  EXPECT_TRUE(plan(spec));
}

TEST(NpmPublishPlan, RejectsShasumMismatch) {
  DocSpec spec;
  spec.shasum_override = std::string(40, '0');
  auto r = plan(spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("shasum"), std::string::npos);
}

TEST(NpmPublishPlan, AcceptsMissingDigests) {
  DocSpec spec;
  spec.with_integrity = false;
  spec.with_shasum = false;
  EXPECT_TRUE(plan(spec));
}

TEST(NpmPublishPlan, RejectsNonGzip) {
  DocSpec spec;
  spec.tarball = "PK\x03\x04 this is a zip";
  auto r = plan(spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("gzip"), std::string::npos);
}

TEST(NpmPublishPlan, RejectsLengthMismatch) {
  DocSpec spec;
  spec.length = 3;
  auto r = plan(spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("length"), std::string::npos);
}

TEST(NpmPublishPlan, RejectsNameMismatch) {
  auto r = plan(DocSpec{}, NpmName{"other", "lib"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos);
  DocSpec upper;
  upper.name = "@myscope/Lib";
  EXPECT_FALSE(plan(upper, NpmName{"myscope", "Lib"}));
}

TEST(NpmPublishPlan, RejectsTwoVersionsOrAttachments) {
  DocSpec spec;
  auto doc = boost::json::parse(publish_document(spec)).as_object();
  doc["versions"].as_object()["1.0.2"] = doc["versions"].as_object()["1.0.1"];
  StringSink sink;
  auto parsed = parse(boost::json::serialize(doc), &sink);
  ASSERT_TRUE(parsed);
  auto r = plan_publish(*parsed, {"myscope", "lib"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("exactly one version"), std::string::npos);

  doc = boost::json::parse(publish_document(spec)).as_object();
  auto& atts = doc["_attachments"].as_object();
  atts["second.tgz"] = atts.begin()->value();
  StringSink sink2;
  parsed = parse(boost::json::serialize(doc), &sink2);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(sink2.out, spec.tarball);  // only the first attachment reaches the sink
  r = plan_publish(*parsed, {"myscope", "lib"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("exactly one tarball"), std::string::npos);
}

TEST(NpmPublishPlan, RejectsMissingAttachment) {
  DocSpec spec;
  auto doc = boost::json::parse(publish_document(spec)).as_object();
  doc["_attachments"] = boost::json::object{};
  StringSink sink;
  auto parsed = parse(boost::json::serialize(doc), &sink);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->has_attachments);
  EXPECT_FALSE(plan_publish(*parsed, {"myscope", "lib"}));
}

TEST(NpmPublishPlan, RejectsBadVersions) {
  DocSpec spec;
  spec.version = "1.0";
  EXPECT_FALSE(plan(spec));
  spec.version = "v1.0.0";
  EXPECT_FALSE(plan(spec));
}

TEST(NpmPublishPlan, TagsFollowTheDocument) {
  DocSpec spec;
  auto doc = boost::json::parse(publish_document(spec)).as_object();
  doc["dist-tags"] = boost::json::object{{"beta", "1.0.1"}, {"latest", "0.9.0"}};
  StringSink sink;
  auto parsed = parse(boost::json::serialize(doc), &sink);
  auto p = plan_publish(*parsed, {"myscope", "lib"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->tags, std::vector<std::string>{"beta"});
}

}  // namespace
}  // namespace arca::formats::npm
