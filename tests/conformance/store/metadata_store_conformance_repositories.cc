// Conformance: repositories, upstreams, external connections, listing.
#include <algorithm>
#include <tuple>

#include "conformance/store/metadata_store_conformance.h"

namespace arca::store::conformance {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kOther[] = "222222222222";

using Names = std::vector<std::string>;

TEST_P(MetadataStoreConformance, RepositoryCreateGetRoundTrips) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "up1"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "up2"), 10));
  Repository r = make_repository(kOwner, "d", "r", {"up2", "up1"});
  r.administrator_account = kOther;
  r.description = "caf\xc3\xa9 \"quoted\" 'single'";
  r.external_connections = {{"public:npmjs", "npm"}};
  ARCA_ASSERT_OK(store().create_repository(r, 10));
  ARCA_ASSERT_OK_AND_ASSIGN(Repository got, store().get_repository(kOwner, "d", "r"));
  EXPECT_EQ(got.domain_owner, kOwner);
  EXPECT_EQ(got.domain_name, "d");
  EXPECT_EQ(got.name, "r");
  EXPECT_EQ(got.administrator_account, kOther);
  EXPECT_EQ(got.description, r.description);
  EXPECT_EQ(got.upstreams, (Names{"up2", "up1"}));
  ASSERT_EQ(got.external_connections.size(), 1u);
  EXPECT_EQ(got.external_connections[0].name, "public:npmjs");
  EXPECT_EQ(got.external_connections[0].package_format, "npm");
  EXPECT_DOUBLE_EQ(got.created_time, r.created_time);

  auto missing = store().get_repository(kOwner, "d", "nope");
  ASSERT_EQ(code_of(missing), "NOT_FOUND");
  EXPECT_EQ(missing.error().resource_type, "repository");
  EXPECT_EQ(missing.error().resource_id, "nope");
  EXPECT_EQ(code_of(store().get_repository(kOther, "d", "r")), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, RepositoryCreateErrors) {
  auto no_domain = store().create_repository(make_repository(kOwner, "d", "r"), 10);
  ASSERT_EQ(code_of(no_domain), "NOT_FOUND");
  EXPECT_EQ(no_domain.error().resource_type, "domain");
  EXPECT_EQ(no_domain.error().resource_id, "d");

  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  auto dup = store().create_repository(make_repository(kOwner, "d", "r"), 10);
  ASSERT_EQ(code_of(dup), "ALREADY_EXISTS");
  EXPECT_EQ(dup.error().resource_type, "repository");
  EXPECT_EQ(dup.error().resource_id, "r");
  EXPECT_EQ(dup.error().message,
            "Repository r already exists in domain d owned by account 111111111111");
  ARCA_EXPECT_OK(store().create_repository(make_repository(kOwner, "e", "r"), 10));

  // A missing upstream fails the whole create.
  auto bad_upstream = store().create_repository(make_repository(kOwner, "d", "s", {"r", "x"}), 10);
  ASSERT_EQ(code_of(bad_upstream), "NOT_FOUND");
  EXPECT_EQ(bad_upstream.error().resource_type, "repository");
  EXPECT_EQ(bad_upstream.error().resource_id, "x");
  EXPECT_EQ(code_of(store().get_repository(kOwner, "d", "s")), "NOT_FOUND");
  // Upstreams resolve within the repository's own domain only.
  ASSERT_EQ(code_of(store().create_repository(make_repository(kOwner, "e", "s", {"r"}), 10)), "OK");
  EXPECT_EQ(code_of(store().create_repository(make_repository(kOwner, "e", "t", {"s", "r"}), 10)),
            "OK");
  ASSERT_EQ(code_of(store().create_domain(make_domain(kOwner, "f"), 10)), "OK");
  EXPECT_EQ(code_of(store().create_repository(make_repository(kOwner, "f", "t", {"s"}), 10)),
            "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, RepositoryQuotaPerDomain) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "a"), 2));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "b"), 2));
  auto over = store().create_repository(make_repository(kOwner, "d", "c"), 2);
  ASSERT_EQ(code_of(over), "QUOTA_EXCEEDED");
  EXPECT_EQ(over.error().resource_type, "repository");
  EXPECT_EQ(code_of(store().get_repository(kOwner, "d", "c")), "NOT_FOUND");
  EXPECT_EQ(code_of(store().create_repository(make_repository(kOwner, "d", "a"), 2)),
            "ALREADY_EXISTS");
  ARCA_EXPECT_OK(store().create_repository(make_repository(kOwner, "e", "c"), 2));
  ARCA_ASSERT_OK(store().delete_repository(kOwner, "d", "a"));
  ARCA_EXPECT_OK(store().create_repository(make_repository(kOwner, "d", "c"), 2));
}

TEST_P(MetadataStoreConformance, UpstreamOrderIsPreserved) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  for (const char* n : {"a", "b", "c", "d", "e"}) {
    ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", n), 20));
  }
  const Names order = {"e", "a", "d", "b", "c"};
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "x", order), 20));
  ARCA_ASSERT_OK_AND_ASSIGN(Repository got, store().get_repository(kOwner, "d", "x"));
  EXPECT_EQ(got.upstreams, order);
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed, store().list_repositories(RepositoryFilter{}, Page{}));
  for (const auto& r : listed) {
    if (r.name == "x") {
      EXPECT_EQ(r.upstreams, order);
    }
  }
}

TEST_P(MetadataStoreConformance, UpdateRepositoryAppliesOnlySetMembers) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  for (const char* n : {"a", "b", "c"}) {
    ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", n), 20));
  }
  Repository x = make_repository(kOwner, "d", "x", {"a", "b"});
  x.external_connections = {{"public:pypi", "pypi"}};
  ARCA_ASSERT_OK(store().create_repository(x, 20));

  RepositoryUpdate desc;
  desc.description = "new description";
  ARCA_ASSERT_OK_AND_ASSIGN(Repository r1, store().update_repository(kOwner, "d", "x", desc));
  EXPECT_EQ(r1.description, "new description");
  EXPECT_EQ(r1.upstreams, (Names{"a", "b"}));
  EXPECT_EQ(r1.external_connections.size(), 1u);

  RepositoryUpdate ups;
  ups.upstreams = Names{"c", "a"};
  ARCA_ASSERT_OK_AND_ASSIGN(Repository r2, store().update_repository(kOwner, "d", "x", ups));
  EXPECT_EQ(r2.description, "new description");
  EXPECT_EQ(r2.upstreams, (Names{"c", "a"}));

  RepositoryUpdate nothing;
  ARCA_ASSERT_OK_AND_ASSIGN(Repository r3, store().update_repository(kOwner, "d", "x", nothing));
  EXPECT_EQ(r3.upstreams, (Names{"c", "a"}));

  // A missing upstream fails the whole update, description included.
  RepositoryUpdate bad;
  bad.description = "must not stick";
  bad.upstreams = Names{"b", "missing"};
  auto failed = store().update_repository(kOwner, "d", "x", bad);
  ASSERT_EQ(code_of(failed), "NOT_FOUND");
  EXPECT_EQ(failed.error().resource_id, "missing");

  RepositoryUpdate clear;
  clear.upstreams = Names{};
  ARCA_ASSERT_OK_AND_ASSIGN(Repository r4, store().update_repository(kOwner, "d", "x", clear));
  EXPECT_TRUE(r4.upstreams.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(Repository stored, store().get_repository(kOwner, "d", "x"));
  EXPECT_TRUE(stored.upstreams.empty());
  EXPECT_EQ(stored.description, "new description");
  EXPECT_EQ(stored.external_connections.size(), 1u);
  EXPECT_EQ(stored.created_time, x.created_time);

  EXPECT_EQ(code_of(store().update_repository(kOwner, "d", "nope", desc)), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, DeleteRepositoryCascades) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  for (const char* n : {"a", "gone", "b"}) {
    ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", n), 20));
  }
  ARCA_ASSERT_OK(
      store().create_repository(make_repository(kOwner, "d", "x", {"a", "gone", "b"}), 20));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "y", {"gone"}), 20));
  ARCA_ASSERT_OK(store().add_external_connection(kOwner, "d", "gone", {"public:npmjs", "npm"}, 1));
  const std::string gone_arn = repository_arn(kOwner, "d", "gone");
  const std::string gone_arn_other_region = repository_arn(kOwner, "d", "gone", "eu-west-1");
  const std::string x_arn = repository_arn(kOwner, "d", "x");
  ARCA_ASSERT_OK(store().put_tags(gone_arn, {{"k", "v"}}, 10));
  ARCA_ASSERT_OK(store().put_tags(gone_arn_other_region, {{"k", "v"}}, 10));
  ARCA_ASSERT_OK(store().put_tags(x_arn, {{"k", "v"}}, 10));
  ARCA_ASSERT_OK(store().put_tags(domain_arn(kOwner, "d"), {{"k", "v"}}, 10));

  ARCA_ASSERT_OK_AND_ASSIGN(Repository deleted, store().delete_repository(kOwner, "d", "gone"));
  EXPECT_EQ(deleted.name, "gone");
  EXPECT_EQ(deleted.description, "repository gone");
  EXPECT_EQ(deleted.external_connections.size(), 1u);
  EXPECT_EQ(code_of(store().get_repository(kOwner, "d", "gone")), "NOT_FOUND");
  EXPECT_EQ(code_of(store().delete_repository(kOwner, "d", "gone")), "NOT_FOUND");

  ARCA_ASSERT_OK_AND_ASSIGN(Repository x, store().get_repository(kOwner, "d", "x"));
  EXPECT_EQ(x.upstreams, (Names{"a", "b"}));
  ARCA_ASSERT_OK_AND_ASSIGN(Repository y, store().get_repository(kOwner, "d", "y"));
  EXPECT_TRUE(y.upstreams.empty());

  ARCA_ASSERT_OK_AND_ASSIGN(Tags t1, store().get_tags(gone_arn));
  EXPECT_TRUE(t1.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(Tags t2, store().get_tags(gone_arn_other_region));
  EXPECT_TRUE(t2.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(Tags t3, store().get_tags(x_arn));
  EXPECT_EQ(t3.size(), 1u);
  ARCA_ASSERT_OK_AND_ASSIGN(Tags t4, store().get_tags(domain_arn(kOwner, "d")));
  EXPECT_EQ(t4.size(), 1u);

  // A recreated repository of the same name starts clean and is nobody's upstream.
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "gone"), 20));
  ARCA_ASSERT_OK_AND_ASSIGN(Repository again, store().get_repository(kOwner, "d", "gone"));
  EXPECT_TRUE(again.external_connections.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(Repository x2, store().get_repository(kOwner, "d", "x"));
  EXPECT_EQ(x2.upstreams, (Names{"a", "b"}));
}

TEST_P(MetadataStoreConformance, ExternalConnections) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  EXPECT_EQ(
      code_of(store().add_external_connection(kOwner, "d", "nope", {"public:npmjs", "npm"}, 1)),
      "NOT_FOUND");
  ARCA_ASSERT_OK_AND_ASSIGN(
      Repository r, store().add_external_connection(kOwner, "d", "r", {"public:npmjs", "npm"}, 1));
  ASSERT_EQ(r.external_connections.size(), 1u);
  EXPECT_EQ(r.external_connections[0].name, "public:npmjs");
  auto dup = store().add_external_connection(kOwner, "d", "r", {"public:npmjs", "npm"}, 5);
  EXPECT_EQ(code_of(dup), "ALREADY_EXISTS");
  auto over = store().add_external_connection(kOwner, "d", "r", {"public:pypi", "pypi"}, 1);
  EXPECT_EQ(code_of(over), "QUOTA_EXCEEDED");

  // With a higher limit, connections keep the order they were added in.
  ARCA_ASSERT_OK(store().add_external_connection(kOwner, "d", "r", {"public:pypi", "pypi"}, 3));
  ARCA_ASSERT_OK(
      store().add_external_connection(kOwner, "d", "r", {"public:crates-io", "cargo"}, 3));
  ARCA_ASSERT_OK_AND_ASSIGN(Repository three, store().get_repository(kOwner, "d", "r"));
  ASSERT_EQ(three.external_connections.size(), 3u);
  EXPECT_EQ(three.external_connections[0].name, "public:npmjs");
  EXPECT_EQ(three.external_connections[1].name, "public:pypi");
  EXPECT_EQ(three.external_connections[2].name, "public:crates-io");
  EXPECT_EQ(three.external_connections[2].package_format, "cargo");

  ARCA_ASSERT_OK_AND_ASSIGN(Repository after,
                            store().remove_external_connection(kOwner, "d", "r", "public:pypi"));
  ASSERT_EQ(after.external_connections.size(), 2u);
  EXPECT_EQ(after.external_connections[1].name, "public:crates-io");
  EXPECT_EQ(code_of(store().remove_external_connection(kOwner, "d", "r", "public:pypi")),
            "NOT_FOUND");
  EXPECT_EQ(code_of(store().remove_external_connection(kOwner, "d", "nope", "public:npmjs")),
            "NOT_FOUND");
  ARCA_ASSERT_OK(store().add_external_connection(kOwner, "d", "r", {"public:pypi", "pypi"}, 3));
  ARCA_ASSERT_OK_AND_ASSIGN(Repository last, store().get_repository(kOwner, "d", "r"));
  ASSERT_EQ(last.external_connections.size(), 3u);
  EXPECT_EQ(last.external_connections[2].name, "public:pypi");  // re-added goes last
}

// Fixture data for listing: two owners, three domains, repositories with two administrators.
void seed_listing(MetadataStore& store) {
  ASSERT_TRUE(store.create_domain(make_domain(kOwner, "d1"), 10));
  ASSERT_TRUE(store.create_domain(make_domain(kOwner, "d2"), 10));
  ASSERT_TRUE(store.create_domain(make_domain(kOther, "d1"), 10));
  ASSERT_TRUE(store.create_domain(make_domain(kOwner, "empty"), 10));
  const std::vector<std::tuple<const char*, const char*, const char*, const char*>> repos = {
      {kOwner, "d1", "npm-store", kOwner}, {kOwner, "d1", "app", kOther},
      {kOwner, "d1", "a_b", kOwner},       {kOwner, "d1", "axb", kOwner},
      {kOwner, "d2", "npm-dev", kOwner},   {kOwner, "d2", "app", kOwner},
      {kOther, "d1", "npm-store", kOther}, {kOther, "d1", "zzz", kOwner},
  };
  for (const auto& [owner, domain, name, admin] : repos) {
    Repository r = make_repository(owner, domain, name);
    r.administrator_account = admin;
    ASSERT_TRUE(store.create_repository(r, 100)) << name;
  }
}

std::vector<std::string> keys_of(const std::vector<Repository>& repos) {
  std::vector<std::string> out;
  for (const auto& r : repos) out.push_back(r.domain_owner + "/" + r.domain_name + "/" + r.name);
  return out;
}

TEST_P(MetadataStoreConformance, ListRepositoriesFiltersAndOrder) {
  seed_listing(store());
  if (HasFatalFailure()) return;
  auto list = [&](RepositoryFilter f) {
    auto r = store().list_repositories(f, Page{"", 1000});
    EXPECT_TRUE(r) << r.error().message;
    return r ? keys_of(*r) : Names{};
  };
  const std::string o = kOwner, x = kOther;
  EXPECT_EQ(list({}),
            (Names{o + "/d1/a_b", o + "/d1/app", o + "/d1/axb", o + "/d1/npm-store", o + "/d2/app",
                   o + "/d2/npm-dev", x + "/d1/npm-store", x + "/d1/zzz"}));
  EXPECT_EQ(list({o, "d1", std::nullopt, ""}),
            (Names{o + "/d1/a_b", o + "/d1/app", o + "/d1/axb", o + "/d1/npm-store"}));
  EXPECT_EQ(list({x, "d1", std::nullopt, ""}), (Names{x + "/d1/npm-store", x + "/d1/zzz"}));
  EXPECT_EQ(list({o, "empty", std::nullopt, ""}), Names{});
  EXPECT_EQ(list({std::nullopt, std::nullopt, o, ""}),
            (Names{o + "/d1/a_b", o + "/d1/axb", o + "/d1/npm-store", o + "/d2/app",
                   o + "/d2/npm-dev", x + "/d1/zzz"}));
  EXPECT_EQ(list({o, "d1", x, ""}), (Names{o + "/d1/app"}));
  EXPECT_EQ(list({std::nullopt, std::nullopt, std::nullopt, "npm-"}),
            (Names{o + "/d1/npm-store", o + "/d2/npm-dev", x + "/d1/npm-store"}));
  EXPECT_EQ(list({std::nullopt, std::nullopt, o, "npm"}),
            (Names{o + "/d1/npm-store", o + "/d2/npm-dev"}));
  // The prefix is literal: '_' and '%' are not wildcards; matching is case-sensitive.
  EXPECT_EQ(list({o, "d1", std::nullopt, "a_"}), (Names{o + "/d1/a_b"}));
  EXPECT_EQ(list({o, "d1", std::nullopt, "a%"}), Names{});
  EXPECT_EQ(list({o, "d1", std::nullopt, "APP"}), Names{});
  EXPECT_EQ(list({o, "d1", std::nullopt, "app"}), (Names{o + "/d1/app"}));
}

// Walks every page of a listing with `limit` and returns all entries.
Names walk_pages(MetadataStore& store, const RepositoryFilter& filter, size_t limit) {
  Names seen;
  Page page{"", limit};
  for (int guard = 0; guard < 1000; ++guard) {
    auto rows = store.list_repositories(filter, page);
    EXPECT_TRUE(rows) << rows.error().message;
    if (!rows) break;
    EXPECT_LE(rows->size(), limit);
    auto keys = keys_of(*rows);
    seen.insert(seen.end(), keys.begin(), keys.end());
    if (rows->size() < limit) break;
    page.after = repository_cursor(rows->back());
  }
  return seen;
}

TEST_P(MetadataStoreConformance, ListRepositoriesPaginatesWithCursor) {
  // 3 domains over 2 owners; names whose order differs from creation order.
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "a"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "b"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOther, "a"), 10));
  Names expected;
  for (const auto& [owner, domain, count] : std::vector<std::tuple<std::string, std::string, int>>{
           {kOwner, "a", 9}, {kOwner, "b", 1}, {kOther, "a", 13}}) {
    for (int i = count - 1; i >= 0; --i) {
      ARCA_ASSERT_OK(
          store().create_repository(make_repository(owner, domain, "r" + std::to_string(i)), 100));
    }
    Names names;
    for (int i = 0; i < count; ++i) names.push_back("r" + std::to_string(i));
    std::sort(names.begin(), names.end());  // r0 r1 r10 r11 r12 r2 ...
    for (const auto& n : names) expected.push_back(owner + "/" + domain + "/" + n);
  }
  ASSERT_EQ(expected.size(), 23u);
  for (size_t limit : {1u, 2u, 9u, 10u, 22u, 23u, 24u, 1000u}) {
    EXPECT_EQ(walk_pages(store(), {}, limit), expected) << "limit " << limit;
  }
  // Cursor plus filter: one domain, pages of 4.
  Names other_a(expected.begin() + 10, expected.end());
  EXPECT_EQ(walk_pages(store(), {kOther, "a", std::nullopt, ""}, 4), other_a);
  // Pages end exactly at domain boundaries: the entry after (owner, "a", last) is (owner, "b", r0).
  ARCA_ASSERT_OK_AND_ASSIGN(auto first9, store().list_repositories({}, Page{"", 9}));
  ASSERT_EQ(first9.size(), 9u);
  ARCA_ASSERT_OK_AND_ASSIGN(
      auto next, store().list_repositories({}, Page{repository_cursor(first9.back()), 1}));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].domain_name, "b");
  // Entries deleted between pages do not break the cursor.
  ARCA_ASSERT_OK(store().delete_repository(kOwner, "b", "r0"));
  ARCA_ASSERT_OK_AND_ASSIGN(
      auto skip, store().list_repositories({}, Page{repository_cursor(first9.back()), 1}));
  ASSERT_EQ(skip.size(), 1u);
  EXPECT_EQ(skip[0].domain_owner, kOther);
  EXPECT_EQ(skip[0].name, "r0");
  // A page of zero entries is empty.
  ARCA_ASSERT_OK_AND_ASSIGN(auto zero, store().list_repositories({}, Page{"", 0}));
  EXPECT_TRUE(zero.empty());
}

TEST_P(MetadataStoreConformance, ListRepositoriesRejectsForeignCursor) {
  auto bad = store().list_repositories({}, Page{"not-a-cursor", 10});
  EXPECT_EQ(code_of(bad), "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace arca::store::conformance
