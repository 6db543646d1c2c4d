// Conformance: the external-connection metadata cache.
#include "metadata_store_conformance.h"

namespace arca::store::conformance {

namespace {

UpstreamDocument make_doc(std::string key, std::string body) {
  UpstreamDocument d;
  d.connection = "public:npmjs";
  d.key = std::move(key);
  d.etag = "\"abc\"";
  d.last_modified = "Tue, 01 Jan 2030 00:00:00 GMT";
  d.fetched_time = 1700000000.5;
  d.body = std::move(body);
  return d;
}

}  // namespace

TEST_P(MetadataStoreConformance, UpstreamDocumentsRoundTripAndReplace) {
  EXPECT_EQ(code_of(store().get_upstream_document("public:npmjs", "npm/a")), "NOT_FOUND");
  UpstreamDocument d = make_doc("npm/a", std::string("{\"x\":1}\0\xff", 10));
  ARCA_ASSERT_OK(store().put_upstream_document(d));
  auto got = store().get_upstream_document("public:npmjs", "npm/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, d);

  UpstreamDocument negative = make_doc("npm/a", "");
  negative.status = 404;
  negative.etag.clear();
  ARCA_ASSERT_OK(store().put_upstream_document(negative));
  got = store().get_upstream_document("public:npmjs", "npm/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, negative);
  // Entries are per connection.
  EXPECT_EQ(code_of(store().get_upstream_document("public:pypi", "npm/a")), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, UpstreamDocumentTouchUpdatesOnlyTheFetchTime) {
  EXPECT_EQ(code_of(store().touch_upstream_document("public:npmjs", "npm/b", 5)), "NOT_FOUND");
  UpstreamDocument d = make_doc("npm/b", "body");
  ARCA_ASSERT_OK(store().put_upstream_document(d));
  ARCA_ASSERT_OK(store().touch_upstream_document("public:npmjs", "npm/b", 1800000000.25));
  auto got = store().get_upstream_document("public:npmjs", "npm/b");
  ASSERT_TRUE(got);
  d.fetched_time = 1800000000.25;
  EXPECT_EQ(*got, d);
}

}  // namespace arca::store::conformance
