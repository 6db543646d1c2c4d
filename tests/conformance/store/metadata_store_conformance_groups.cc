// Conformance: package groups, their origin restrictions and allow-lists, listing, generations.
#include <atomic>
#include <chrono>
#include <cmath>
#include <latch>
#include <set>
#include <thread>

#include "conformance/store/metadata_store_conformance.h"

namespace arca::store::conformance {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kOther[] = "222222222222";

using Patterns = std::vector<std::string>;
using Allowed = std::map<std::string, std::set<std::string>>;
using Restrictions = std::map<std::string, std::string>;

const Restrictions kAllInherit = {
    {"EXTERNAL_UPSTREAM", "INHERIT"}, {"INTERNAL_UPSTREAM", "INHERIT"}, {"PUBLISH", "INHERIT"}};

PackageGroup make_group(const std::string& owner, const std::string& domain,
                        const std::string& pattern) {
  PackageGroup g;
  g.domain_owner = owner;
  g.domain_name = domain;
  g.pattern = pattern;
  g.description = "group " + pattern;
  g.contact_info = "owner@example.com";
  return g;
}

// Every field of a group on one line, so EXPECT_EQ shows what differs.
std::string describe(const PackageGroup& g) {
  std::string out = g.domain_owner + "|" + g.domain_name + "|" + g.pattern + "|" + g.description +
                    "|" + g.contact_info + "|" + std::to_string(g.created_time) + "|";
  for (const auto& [type, mode] : g.restrictions) out += " " + type + "=" + mode;
  out += " |";
  for (const auto& [type, repositories] : g.allowed_repositories) {
    out += " " + type + ":[";
    for (const auto& r : repositories) out += r + ",";
    out += "]";
  }
  return out;
}

std::vector<std::string> describe(const std::vector<PackageGroup>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) out.push_back(describe(g));
  return out;
}

Patterns patterns_of(const std::vector<PackageGroup>& groups) {
  Patterns out;
  for (const auto& g : groups) out.push_back(g.pattern);
  return out;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// Patterns of the listing tests, in byte order. Upper case sorts before lower case, '*' before
// '/', 'X' before '_' before 'p', and UTF-8 lead bytes (0xC3) after every ASCII letter.
const Patterns kSorted = {
    "/*",
    "/Maven/x/y$",
    "/maven/com.acme~",
    "/npm/*",
    "/npm//react$",
    "/npm//zod$",
    "/npm//\xc3\xa9t\xc3\xa9$",
    "/npm/caf\xc3\xa9$",
    "/npm/sXace/*",
    "/npm/s_ace/*",
    "/npm/space/*",
    "/npm/space/ui~",
    "/pypi//requests$",
};

// Creates kSorted in domain (kOwner, "d") in a scrambled order, some with allow-lists, plus
// groups in other domains that no listing of "d" may show.
void create_listing_fixture(MetadataStore& s) {
  ASSERT_TRUE(s.create_domain(make_domain(kOwner, "d"), 10));
  ASSERT_TRUE(s.create_domain(make_domain(kOwner, "e"), 10));
  ASSERT_TRUE(s.create_domain(make_domain(kOther, "d"), 10));
  for (size_t i = 0; i < kSorted.size(); ++i) {
    const std::string& pattern = kSorted[(i * 5) % kSorted.size()];  // 5 is coprime with 13
    PackageGroup g = make_group(kOwner, "d", pattern);
    if (i % 3 == 0) g.allowed_repositories["PUBLISH"] = {"repo-" + std::to_string(i), "shared"};
    ASSERT_TRUE(s.create_package_group(g, 100)) << pattern;
  }
  ASSERT_TRUE(s.create_package_group(make_group(kOwner, "e", "/npm/*"), 100));
  ASSERT_TRUE(s.create_package_group(make_group(kOther, "d", "/npm/a$"), 100));
}

TEST_P(MetadataStoreConformance, PackageGroupRoundTripsEveryField) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  PackageGroup g = make_group(kOwner, "d", "/npm/space/ui~");
  g.description = "caf\xc3\xa9 \"quoted\" 'single' %_ \\";
  g.contact_info = "team-ui@example.com, +1 555 0100";
  g.created_time = 5;  // the store's clock decides
  g.restrictions = {{"PUBLISH", "BLOCK"},
                    {"EXTERNAL_UPSTREAM", "ALLOW_SPECIFIC_REPOSITORIES"},
                    {"INTERNAL_UPSTREAM", "ALLOW"}};
  g.allowed_repositories = {{"EXTERNAL_UPSTREAM", {"b-repo", "a-repo"}}, {"PUBLISH", {"x"}}};
  const double before = std::floor(now_seconds() * 1000) / 1000;
  ARCA_ASSERT_OK(store().create_package_group(g, 10));
  const double after = now_seconds();

  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup got, store().get_package_group(kOwner, "d", g.pattern));
  EXPECT_EQ(got.domain_owner, kOwner);
  EXPECT_EQ(got.domain_name, "d");
  EXPECT_EQ(got.pattern, g.pattern);
  EXPECT_EQ(got.description, g.description);
  EXPECT_EQ(got.contact_info, g.contact_info);
  EXPECT_EQ(got.restrictions, g.restrictions);
  EXPECT_EQ(got.allowed_repositories,
            (Allowed{{"EXTERNAL_UPSTREAM", {"a-repo", "b-repo"}}, {"PUBLISH", {"x"}}}));
  EXPECT_GE(got.created_time, before);
  EXPECT_LE(got.created_time, after);
  EXPECT_NEAR(got.created_time * 1000, std::round(got.created_time * 1000), 0.01)
      << "created_time is not at millisecond precision: " << got.created_time;

  // Every read path returns the same record.
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed, store().list_package_groups(kOwner, "d", Page{}, ""));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(describe(listed[0]), describe(got));
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().all_package_groups(kOwner, "d"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(describe(all[0]), describe(got));
}

TEST_P(MetadataStoreConformance, PackageGroupMissingRestrictionsAreInherit) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 10));
  PackageGroup partial = make_group(kOwner, "d", "/pypi/*");
  partial.restrictions = {{"PUBLISH", "ALLOW"}};
  ARCA_ASSERT_OK(store().create_package_group(partial, 10));

  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup npm, store().get_package_group(kOwner, "d", "/npm/*"));
  EXPECT_EQ(npm.restrictions, kAllInherit);
  EXPECT_TRUE(npm.allowed_repositories.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup pypi, store().get_package_group(kOwner, "d", "/pypi/*"));
  EXPECT_EQ(pypi.restrictions, (Restrictions{{"EXTERNAL_UPSTREAM", "INHERIT"},
                                             {"INTERNAL_UPSTREAM", "INHERIT"},
                                             {"PUBLISH", "ALLOW"}}));
}

TEST_P(MetadataStoreConformance, PackageGroupCreateErrors) {
  auto no_domain = store().create_package_group(make_group(kOwner, "d", "/npm/*"), 10);
  ASSERT_EQ(code_of(no_domain), "NOT_FOUND");
  EXPECT_EQ(no_domain.error().resource_type, "domain");
  EXPECT_EQ(no_domain.error().resource_id, "d");

  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  // The domain is (owner, name): another owner's "d" does not exist.
  EXPECT_EQ(code_of(store().create_package_group(make_group(kOther, "d", "/npm/*"), 10)),
            "NOT_FOUND");

  PackageGroup first = make_group(kOwner, "d", "/npm/*");
  first.description = "first";
  first.allowed_repositories = {{"PUBLISH", {"r"}}};
  ARCA_ASSERT_OK(store().create_package_group(first, 10));
  PackageGroup second = make_group(kOwner, "d", "/npm/*");
  second.description = "second";
  auto dup = store().create_package_group(second, 10);
  ASSERT_EQ(code_of(dup), "ALREADY_EXISTS");
  EXPECT_EQ(dup.error().resource_type, "package-group");
  EXPECT_EQ(dup.error().resource_id, "/npm/*");
  EXPECT_EQ(dup.error().message,
            "Package group /npm/* already exists in domain d owned by account 111111111111");
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup kept, store().get_package_group(kOwner, "d", "/npm/*"));
  EXPECT_EQ(kept.description, "first");
  EXPECT_EQ(kept.allowed_repositories, (Allowed{{"PUBLISH", {"r"}}}));

  // Patterns are unique per domain and compared byte for byte.
  ARCA_EXPECT_OK(store().create_package_group(make_group(kOwner, "e", "/npm/*"), 10));
  ARCA_EXPECT_OK(store().create_package_group(make_group(kOwner, "d", "/NPM/*"), 10));
  ARCA_EXPECT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/* "), 10));

  // Unknown restriction types and modes are refused, and nothing is created.
  PackageGroup bad_type = make_group(kOwner, "d", "/bad/type");
  bad_type.restrictions = {{"UPSTREAM", "ALLOW"}};
  PackageGroup bad_mode = make_group(kOwner, "d", "/bad/mode");
  bad_mode.restrictions = {{"PUBLISH", "allow"}};
  PackageGroup bad_list = make_group(kOwner, "d", "/bad/list");
  bad_list.allowed_repositories = {{"publish", {"r"}}};
  for (const auto& bad : {bad_type, bad_mode, bad_list}) {
    EXPECT_EQ(code_of(store().create_package_group(bad, 10)), "INVALID_ARGUMENT") << bad.pattern;
    EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", bad.pattern)), "NOT_FOUND")
        << bad.pattern;
  }
}

TEST_P(MetadataStoreConformance, PackageGroupQuotaPerDomain) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/*"), 2));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 2));
  auto over = store().create_package_group(make_group(kOwner, "d", "/pypi/*"), 2);
  ASSERT_EQ(code_of(over), "QUOTA_EXCEEDED");
  EXPECT_EQ(over.error().resource_type, "package-group");
  EXPECT_EQ(over.error().resource_id, "/pypi/*");
  EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", "/pypi/*")), "NOT_FOUND");
  // A conflict wins over the quota.
  EXPECT_EQ(code_of(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 2)),
            "ALREADY_EXISTS");
  // The quota is per domain, and a delete frees a place.
  ARCA_EXPECT_OK(store().create_package_group(make_group(kOwner, "e", "/pypi/*"), 2));
  ARCA_ASSERT_OK(store().delete_package_group(kOwner, "d", "/npm/*"));
  ARCA_EXPECT_OK(store().create_package_group(make_group(kOwner, "d", "/pypi/*"), 2));
  EXPECT_EQ(code_of(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 2)),
            "QUOTA_EXCEEDED");
}

TEST_P(MetadataStoreConformance, PackageGroupGetErrors) {
  auto no_domain = store().get_package_group(kOwner, "d", "/*");
  ASSERT_EQ(code_of(no_domain), "NOT_FOUND");
  EXPECT_EQ(no_domain.error().resource_type, "domain");
  EXPECT_EQ(no_domain.error().resource_id, "d");

  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 10));
  auto missing = store().get_package_group(kOwner, "d", "/npm/x$");
  ASSERT_EQ(code_of(missing), "NOT_FOUND");
  EXPECT_EQ(missing.error().resource_type, "package-group");
  EXPECT_EQ(missing.error().resource_id, "/npm/x$");
  EXPECT_EQ(missing.error().message,
            "Package group /npm/x$ does not exist in domain d owned by account 111111111111");
  // Lookups are exact: no prefix, case or wildcard matching.
  EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", "/npm/")), "NOT_FOUND");
  EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", "/NPM/*")), "NOT_FOUND");
  EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", "/npm/%")), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, PackageGroupListOrdersByPatternBytes) {
  create_listing_fixture(store());
  if (HasFatalFailure()) return;
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed,
                            store().list_package_groups(kOwner, "d", Page{"", 100}, ""));
  EXPECT_EQ(patterns_of(listed), kSorted);
  for (const auto& g : listed) {
    EXPECT_EQ(g.domain_owner, kOwner);
    EXPECT_EQ(g.domain_name, "d");
  }
  // Listed groups carry their allow-lists, like get_package_group.
  for (const auto& g : listed) {
    ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup got, store().get_package_group(kOwner, "d", g.pattern));
    EXPECT_EQ(describe(g), describe(got));
  }
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().all_package_groups(kOwner, "d"));
  EXPECT_EQ(describe(all), describe(listed));
  size_t with_lists = 0;
  for (const auto& g : all) with_lists += g.allowed_repositories.empty() ? 0 : 1;
  EXPECT_EQ(with_lists, 5u);  // i = 0, 3, 6, 9, 12 of the fixture

  ARCA_ASSERT_OK_AND_ASSIGN(auto other, store().all_package_groups(kOther, "d"));
  EXPECT_EQ(patterns_of(other), Patterns{"/npm/a$"});
}

TEST_P(MetadataStoreConformance, PackageGroupListPagesByKeyset) {
  create_listing_fixture(store());
  if (HasFatalFailure()) return;
  Patterns seen;
  std::vector<size_t> sizes;
  Page page{"", 3};
  for (int guard = 0; guard < 20; ++guard) {
    ARCA_ASSERT_OK_AND_ASSIGN(auto chunk, store().list_package_groups(kOwner, "d", page, ""));
    sizes.push_back(chunk.size());
    for (const auto& g : chunk) seen.push_back(g.pattern);
    if (chunk.size() < page.limit) break;
    page.after = chunk.back().pattern;
  }
  EXPECT_EQ(seen, kSorted);
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 3, 1}));

  ARCA_ASSERT_OK_AND_ASSIGN(auto none, store().list_package_groups(kOwner, "d", Page{"", 0}, ""));
  EXPECT_TRUE(none.empty());
  // The cursor is a pattern, which need not exist (any more): the page starts after it.
  ARCA_ASSERT_OK_AND_ASSIGN(auto from_gap,
                            store().list_package_groups(kOwner, "d", Page{"/npm/c", 2}, ""));
  EXPECT_EQ(patterns_of(from_gap), (Patterns{"/npm/caf\xc3\xa9$", "/npm/sXace/*"}));
  ARCA_ASSERT_OK(store().delete_package_group(kOwner, "d", "/npm/sXace/*"));
  ARCA_ASSERT_OK_AND_ASSIGN(auto after_deleted,
                            store().list_package_groups(kOwner, "d", Page{"/npm/sXace/*", 2}, ""));
  EXPECT_EQ(patterns_of(after_deleted), (Patterns{"/npm/s_ace/*", "/npm/space/*"}));
  ARCA_ASSERT_OK_AND_ASSIGN(
      auto past_end, store().list_package_groups(kOwner, "d", Page{"/pypi//requests$", 5}, ""));
  EXPECT_TRUE(past_end.empty());
}

TEST_P(MetadataStoreConformance, PackageGroupListPrefixIsLiteral) {
  create_listing_fixture(store());
  if (HasFatalFailure()) return;
  auto list = [&](const std::string& prefix, Page page = Page{"", 100}) {
    auto r = store().list_package_groups(kOwner, "d", page, prefix);
    EXPECT_TRUE(r) << prefix << ": " << (r ? "" : r.error().message);
    return r ? patterns_of(*r) : Patterns{"<error>"};
  };
  EXPECT_EQ(list("/npm/"), Patterns(kSorted.begin() + 3, kSorted.begin() + 12));
  EXPECT_EQ(list("/npm//"), (Patterns{"/npm//react$", "/npm//zod$", "/npm//\xc3\xa9t\xc3\xa9$"}));
  EXPECT_EQ(list("/npm/space/"), (Patterns{"/npm/space/*", "/npm/space/ui~"}));
  EXPECT_EQ(list("/npm/s_"), Patterns{"/npm/s_ace/*"});  // '_' is not a wildcard
  EXPECT_EQ(list("/npm/%"), Patterns{});                 // nor is '%'
  EXPECT_EQ(list("/npm/*"), Patterns{"/npm/*"});         // nor '*'
  EXPECT_EQ(list("/m"), Patterns{"/maven/com.acme~"});   // case-sensitive
  EXPECT_EQ(list("/NPM"), Patterns{});
  EXPECT_EQ(list("/npm/caf\xc3\xa9"), Patterns{"/npm/caf\xc3\xa9$"});
  EXPECT_EQ(list("/pypi//requests$"), Patterns{"/pypi//requests$"});
  EXPECT_EQ(list("/pypi//requests$x"), Patterns{});
  EXPECT_EQ(list("/*"), Patterns{"/*"});
  EXPECT_EQ(list(""), kSorted);

  // A prefix and the keyset combine: pages of 4 of the 9 npm groups.
  Patterns seen;
  Page page{"", 4};
  for (int guard = 0; guard < 10; ++guard) {
    Patterns chunk = list("/npm/", page);
    seen.insert(seen.end(), chunk.begin(), chunk.end());
    if (chunk.size() < page.limit) break;
    page.after = chunk.back();
  }
  EXPECT_EQ(seen, list("/npm/"));
  // A cursor before the prefix range starts at the range, one after it gives nothing.
  EXPECT_EQ(list("/npm/space/", Page{"/a", 1}), Patterns{"/npm/space/*"});
  EXPECT_EQ(list("/npm/space/", Page{"/q", 1}), Patterns{});
}

TEST_P(MetadataStoreConformance, PackageGroupListingsOfMissingAndEmptyDomains) {
  auto list_missing = store().list_package_groups(kOwner, "d", Page{}, "");
  ASSERT_EQ(code_of(list_missing), "NOT_FOUND");
  EXPECT_EQ(list_missing.error().resource_type, "domain");
  auto all_missing = store().all_package_groups(kOwner, "d");
  ASSERT_EQ(code_of(all_missing), "NOT_FOUND");
  EXPECT_EQ(all_missing.error().resource_type, "domain");

  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed, store().list_package_groups(kOwner, "d", Page{}, ""));
  EXPECT_TRUE(listed.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().all_package_groups(kOwner, "d"));
  EXPECT_TRUE(all.empty());
}

TEST_P(MetadataStoreConformance, UpdatePackageGroupAppliesOnlySetMembers) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  PackageGroup g = make_group(kOwner, "d", "/npm/*");
  g.restrictions = {{"PUBLISH", "ALLOW_SPECIFIC_REPOSITORIES"}};
  g.allowed_repositories = {{"PUBLISH", {"r"}}};
  ARCA_ASSERT_OK(store().create_package_group(g, 10));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup original,
                            store().get_package_group(kOwner, "d", g.pattern));

  // Nothing set: nothing changes.
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup same,
                            store().update_package_group(kOwner, "d", g.pattern, {}));
  EXPECT_EQ(describe(same), describe(original));

  PackageGroupUpdate desc;
  desc.description = "new description";
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup u1,
                            store().update_package_group(kOwner, "d", g.pattern, desc));
  PackageGroup expected = original;
  expected.description = "new description";
  EXPECT_EQ(describe(u1), describe(expected));

  PackageGroupUpdate contact;
  contact.contact_info = "";  // set to empty clears it
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup u2,
                            store().update_package_group(kOwner, "d", g.pattern, contact));
  expected.contact_info = "";
  EXPECT_EQ(describe(u2), describe(expected));

  PackageGroupUpdate modes;
  modes.restrictions = {{"EXTERNAL_UPSTREAM", "BLOCK"}};
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup u3,
                            store().update_package_group(kOwner, "d", g.pattern, modes));
  expected.restrictions["EXTERNAL_UPSTREAM"] = "BLOCK";
  EXPECT_EQ(describe(u3), describe(expected));

  // Leaving ALLOW_SPECIFIC_REPOSITORIES keeps the allow-list.
  modes.restrictions = {{"PUBLISH", "ALLOW"}, {"INTERNAL_UPSTREAM", "ALLOW_SPECIFIC_REPOSITORIES"}};
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup u4,
                            store().update_package_group(kOwner, "d", g.pattern, modes));
  expected.restrictions["PUBLISH"] = "ALLOW";
  expected.restrictions["INTERNAL_UPSTREAM"] = "ALLOW_SPECIFIC_REPOSITORIES";
  EXPECT_EQ(describe(u4), describe(expected));
  EXPECT_EQ(u4.allowed_repositories, (Allowed{{"PUBLISH", {"r"}}}));

  // What update returned is what was stored.
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup stored, store().get_package_group(kOwner, "d", g.pattern));
  EXPECT_EQ(describe(stored), describe(expected));
  EXPECT_DOUBLE_EQ(stored.created_time, original.created_time);
}

TEST_P(MetadataStoreConformance, UpdatePackageGroupAllowedRepositories) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 10));
  auto update = [&](PackageGroupUpdate u) {
    auto r = store().update_package_group(kOwner, "d", "/npm/*", u);
    EXPECT_TRUE(r) << r.error().message;
    auto stored = store().get_package_group(kOwner, "d", "/npm/*");
    EXPECT_TRUE(stored);
    if (r && stored) {
      EXPECT_EQ(describe(*r), describe(*stored));  // what update returned is what it stored
    }
    return r ? r->allowed_repositories : Allowed{{"<error>", {}}};
  };

  PackageGroupUpdate add;
  add.add_allowed = {{"EXTERNAL_UPSTREAM", "b"},
                     {"EXTERNAL_UPSTREAM", "a"},
                     {"PUBLISH", "a"},
                     {"EXTERNAL_UPSTREAM", "b"}};  // a repeat within one update is harmless
  EXPECT_EQ(update(add), (Allowed{{"EXTERNAL_UPSTREAM", {"a", "b"}}, {"PUBLISH", {"a"}}}));

  // Adding what is there, or removing what is not, is a no-op (not an error).
  PackageGroupUpdate noop;
  noop.add_allowed = {{"EXTERNAL_UPSTREAM", "a"}};
  noop.remove_allowed = {{"INTERNAL_UPSTREAM", "a"}, {"PUBLISH", "zz"}};
  EXPECT_EQ(update(noop), (Allowed{{"EXTERNAL_UPSTREAM", {"a", "b"}}, {"PUBLISH", {"a"}}}));

  // Lists are per type: removing PUBLISH "a" leaves EXTERNAL_UPSTREAM "a"; an emptied list
  // disappears from the map.
  PackageGroupUpdate remove;
  remove.remove_allowed = {{"PUBLISH", "a"}};
  EXPECT_EQ(update(remove), (Allowed{{"EXTERNAL_UPSTREAM", {"a", "b"}}}));

  // Removals apply before additions: a pair in both ends up allowed.
  PackageGroupUpdate both;
  both.remove_allowed = {{"EXTERNAL_UPSTREAM", "a"}, {"EXTERNAL_UPSTREAM", "b"}};
  both.add_allowed = {{"EXTERNAL_UPSTREAM", "a"}, {"INTERNAL_UPSTREAM", "c"}};
  EXPECT_EQ(update(both), (Allowed{{"EXTERNAL_UPSTREAM", {"a"}}, {"INTERNAL_UPSTREAM", {"c"}}}));

  // Names are stored as given, byte for byte.
  PackageGroupUpdate names;
  names.add_allowed = {{"PUBLISH", "Repo"}, {"PUBLISH", "repo"}, {"PUBLISH", "r\xc3\xa9po"}};
  EXPECT_EQ(update(names), (Allowed{{"EXTERNAL_UPSTREAM", {"a"}},
                                    {"INTERNAL_UPSTREAM", {"c"}},
                                    {"PUBLISH", {"Repo", "r\xc3\xa9po", "repo"}}}));
}

TEST_P(MetadataStoreConformance, UpdatePackageGroupErrorsChangeNothing) {
  PackageGroupUpdate desc;
  desc.description = "x";
  auto no_domain = store().update_package_group(kOwner, "d", "/npm/*", desc);
  ASSERT_EQ(code_of(no_domain), "NOT_FOUND");
  EXPECT_EQ(no_domain.error().resource_type, "domain");

  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  auto no_group = store().update_package_group(kOwner, "d", "/npm/*", desc);
  ASSERT_EQ(code_of(no_group), "NOT_FOUND");
  EXPECT_EQ(no_group.error().resource_type, "package-group");
  EXPECT_EQ(no_group.error().resource_id, "/npm/*");

  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup before, store().get_package_group(kOwner, "d", "/npm/*"));
  PackageGroupUpdate bad_mode;
  bad_mode.description = "changed";
  bad_mode.add_allowed = {{"PUBLISH", "r"}};
  bad_mode.restrictions = {{"PUBLISH", "DENY"}};
  PackageGroupUpdate bad_type = bad_mode;
  bad_type.restrictions = {{"publish", "ALLOW"}};
  PackageGroupUpdate bad_add = desc;
  bad_add.add_allowed = {{"PUBLISH", "r"}, {"EXTERNAL", "r"}};
  PackageGroupUpdate bad_remove = desc;
  bad_remove.remove_allowed = {{"UPSTREAM", "r"}};
  for (const auto& bad : {bad_mode, bad_type, bad_add, bad_remove}) {
    EXPECT_EQ(code_of(store().update_package_group(kOwner, "d", "/npm/*", bad)),
              "INVALID_ARGUMENT");
  }
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup after, store().get_package_group(kOwner, "d", "/npm/*"));
  EXPECT_EQ(describe(after), describe(before));
}

TEST_P(MetadataStoreConformance, DeletePackageGroupReturnsTheRecord) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  PackageGroup g = make_group(kOwner, "d", "/npm/space/*");
  g.restrictions = {{"PUBLISH", "BLOCK"}, {"INTERNAL_UPSTREAM", "ALLOW_SPECIFIC_REPOSITORIES"}};
  g.allowed_repositories = {{"INTERNAL_UPSTREAM", {"down", "stream"}}, {"PUBLISH", {"p"}}};
  ARCA_ASSERT_OK(store().create_package_group(g, 10));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup stored, store().get_package_group(kOwner, "d", g.pattern));

  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup deleted,
                            store().delete_package_group(kOwner, "d", g.pattern));
  EXPECT_EQ(describe(deleted), describe(stored));
  EXPECT_EQ(deleted.allowed_repositories.size(), 2u);
  EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", g.pattern)), "NOT_FOUND");
  ARCA_ASSERT_OK_AND_ASSIGN(auto left, store().all_package_groups(kOwner, "d"));
  EXPECT_EQ(patterns_of(left), Patterns{"/npm/*"});

  auto again = store().delete_package_group(kOwner, "d", g.pattern);
  ASSERT_EQ(code_of(again), "NOT_FOUND");
  EXPECT_EQ(again.error().resource_type, "package-group");
  EXPECT_EQ(again.error().resource_id, g.pattern);
  auto no_domain = store().delete_package_group(kOwner, "nope", "/npm/*");
  ASSERT_EQ(code_of(no_domain), "NOT_FOUND");
  EXPECT_EQ(no_domain.error().resource_type, "domain");

  // A group re-created under the same pattern starts afresh: no allow-list survives the delete.
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", g.pattern), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup fresh, store().get_package_group(kOwner, "d", g.pattern));
  EXPECT_EQ(fresh.restrictions, kAllInherit);
  EXPECT_TRUE(fresh.allowed_repositories.empty()) << describe(fresh);
}

TEST_P(MetadataStoreConformance, DeletingADomainDeletesItsPackageGroups) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  for (const char* domain : {"d", "e"}) {
    for (const char* pattern : {"/*", "/npm/*"}) {
      PackageGroup g = make_group(kOwner, domain, pattern);
      g.allowed_repositories = {{"PUBLISH", {"r"}}};
      ARCA_ASSERT_OK(store().create_package_group(g, 10));
    }
  }
  // Groups do not keep a domain alive, repositories still do (and then nothing is deleted).
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  EXPECT_EQ(code_of(store().delete_domain(kOwner, "d")), "FAILED_PRECONDITION");
  ARCA_ASSERT_OK_AND_ASSIGN(auto kept, store().all_package_groups(kOwner, "d"));
  EXPECT_EQ(kept.size(), 2u);
  ARCA_ASSERT_OK(store().delete_repository(kOwner, "d", "r"));
  ARCA_ASSERT_OK(store().delete_domain(kOwner, "d"));

  auto gone = store().get_package_group(kOwner, "d", "/*");
  ASSERT_EQ(code_of(gone), "NOT_FOUND");
  EXPECT_EQ(gone.error().resource_type, "domain");
  ARCA_ASSERT_OK_AND_ASSIGN(auto other, store().all_package_groups(kOwner, "e"));
  EXPECT_EQ(patterns_of(other), (Patterns{"/*", "/npm/*"}));
  EXPECT_EQ(other[0].allowed_repositories, (Allowed{{"PUBLISH", {"r"}}}));

  // A domain re-created under the name starts with no groups, and its new groups no allow-lists.
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(auto listed, store().list_package_groups(kOwner, "d", Page{}, ""));
  EXPECT_TRUE(listed.empty());
  EXPECT_EQ(code_of(store().get_package_group(kOwner, "d", "/*")), "NOT_FOUND");
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/*"), 1));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 2));
  ARCA_ASSERT_OK_AND_ASSIGN(auto fresh, store().all_package_groups(kOwner, "d"));
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_TRUE(fresh[0].allowed_repositories.empty()) << describe(fresh[0]);
  EXPECT_TRUE(fresh[1].allowed_repositories.empty()) << describe(fresh[1]);
}

TEST_P(MetadataStoreConformance, PackageGroupsGenerationBumpsOnEveryChange) {
  auto missing = store().package_groups_generation(kOwner, "d");
  ASSERT_EQ(code_of(missing), "NOT_FOUND");
  EXPECT_EQ(missing.error().resource_type, "domain");

  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  std::set<int64_t> seen;
  int64_t last = 0;
  // Checks that the generation of "d" moved forward to a value never seen before.
  auto expect_bumped = [&](const char* what) {
    auto g = store().package_groups_generation(kOwner, "d");
    ASSERT_TRUE(g) << what;
    EXPECT_GT(*g, last) << what;
    EXPECT_TRUE(seen.insert(*g).second) << what << ": generation " << *g << " repeated";
    last = *g;
  };
  auto expect_unchanged = [&](const char* what) {
    auto g = store().package_groups_generation(kOwner, "d");
    ASSERT_TRUE(g) << what;
    EXPECT_EQ(*g, last) << what;
  };
  expect_unchanged("a new domain is at 0");

  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/*"), 3));
  expect_bumped("create");
  PackageGroupUpdate desc;
  desc.description = "d";
  ARCA_ASSERT_OK(store().update_package_group(kOwner, "d", "/*", desc));
  expect_bumped("update description");
  PackageGroupUpdate mode;
  mode.restrictions = {{"PUBLISH", "BLOCK"}};
  ARCA_ASSERT_OK(store().update_package_group(kOwner, "d", "/*", mode));
  expect_bumped("update mode");
  PackageGroupUpdate add;
  add.add_allowed = {{"PUBLISH", "r"}};
  ARCA_ASSERT_OK(store().update_package_group(kOwner, "d", "/*", add));
  expect_bumped("add allowed repository");
  PackageGroupUpdate remove;
  remove.remove_allowed = {{"PUBLISH", "r"}};
  ARCA_ASSERT_OK(store().update_package_group(kOwner, "d", "/*", remove));
  expect_bumped("remove allowed repository");
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/npm/*"), 3));
  expect_bumped("second create");
  ARCA_ASSERT_OK(store().delete_package_group(kOwner, "d", "/npm/*"));
  expect_bumped("delete");

  // Reads, failures and other domains leave it alone.
  ARCA_ASSERT_OK(store().get_package_group(kOwner, "d", "/*"));
  ARCA_ASSERT_OK(store().list_package_groups(kOwner, "d", Page{}, ""));
  ARCA_ASSERT_OK(store().all_package_groups(kOwner, "d"));
  EXPECT_FALSE(store().create_package_group(make_group(kOwner, "d", "/*"), 3));
  EXPECT_FALSE(store().create_package_group(make_group(kOwner, "d", "/x/*"), 1));
  EXPECT_FALSE(store().update_package_group(kOwner, "d", "/missing", desc));
  EXPECT_FALSE(store().delete_package_group(kOwner, "d", "/missing"));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "e", "/*"), 3));
  expect_unchanged("reads, failed writes, another domain");
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t e, store().package_groups_generation(kOwner, "e"));
  EXPECT_GT(e, 0);

  // Deleting and re-creating the domain must not let a node holding an old generation think it
  // is current: the value restarts at 0 and never returns to one seen before.
  ARCA_ASSERT_OK(store().delete_domain(kOwner, "d"));
  EXPECT_EQ(code_of(store().package_groups_generation(kOwner, "d")), "NOT_FOUND");
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t recreated, store().package_groups_generation(kOwner, "d"));
  EXPECT_EQ(recreated, 0);
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/*"), 3));
  expect_bumped("create in the re-created domain");
}

TEST_P(MetadataStoreConformance, ConcurrentPackageGroupWritesAreExact) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_package_group(make_group(kOwner, "d", "/*"), 10));
  constexpr int kThreads = 10;
  std::latch start(kThreads);
  std::atomic<int> created{0}, quota{0}, updated{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      // Every thread adds its own repository to one allow-list: none may be lost.
      PackageGroupUpdate add;
      add.add_allowed = {{"PUBLISH", "r" + std::to_string(i)}};
      if (store().update_package_group(kOwner, "d", "/*", add)) ++updated;
      auto r =
          store().create_package_group(make_group(kOwner, "d", "/g" + std::to_string(i) + "/*"), 5);
      if (r) ++created;
      if (!r && r.error().code == Code::kQuotaExceeded) ++quota;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(updated.load(), kThreads);
  EXPECT_EQ(created.load(), 4);
  EXPECT_EQ(quota.load(), kThreads - 4);
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().all_package_groups(kOwner, "d"));
  EXPECT_EQ(all.size(), 5u);
  ARCA_ASSERT_OK_AND_ASSIGN(PackageGroup root, store().get_package_group(kOwner, "d", "/*"));
  EXPECT_EQ(root.allowed_repositories["PUBLISH"].size(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace arca::store::conformance
