// Conformance: fixture helpers, accounts, access keys, domains, tags.
#include "conformance/store/metadata_store_conformance.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace arca::store::conformance {

std::string metadata_store_factory_name(
    const ::testing::TestParamInfo<MetadataStoreFactory>& info) {
  return info.param.name;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "arca-store-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    return;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void MetadataStoreConformance::SetUp() {
  ASSERT_FALSE(tempdir().empty());
  store_ = GetParam().make(tempdir());
  ASSERT_NE(store_, nullptr) << "factory " << GetParam().name << " returned no store";
}

Domain make_domain(const std::string& owner, const std::string& name) {
  return Domain{owner, name, "", 1700000000.125};
}

Repository make_repository(const std::string& owner, const std::string& domain,
                           const std::string& name, std::vector<std::string> upstreams) {
  Repository r;
  r.domain_owner = owner;
  r.domain_name = domain;
  r.name = name;
  r.administrator_account = owner;
  r.description = "repository " + name;
  r.upstreams = std::move(upstreams);
  r.created_time = 1700000100.5;
  return r;
}

std::string domain_arn(const std::string& owner, const std::string& name,
                       const std::string& region) {
  return "arn:aws:codeartifact:" + region + ":" + owner + ":domain/" + name;
}

std::string repository_arn(const std::string& owner, const std::string& domain,
                           const std::string& name, const std::string& region) {
  return "arn:aws:codeartifact:" + region + ":" + owner + ":repository/" + domain + "/" + name;
}

std::vector<std::string> names_of(const std::vector<Repository>& repos) {
  std::vector<std::string> out;
  for (const auto& r : repos) out.push_back(r.name);
  return out;
}

std::vector<std::string> names_of(const std::vector<Domain>& domains) {
  std::vector<std::string> out;
  for (const auto& d : domains) out.push_back(d.name);
  return out;
}

namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kOther[] = "222222222222";

AccessKey make_key(const std::string& id, const std::string& account) {
  // The sealed secret is binary: it must round-trip byte for byte, NULs included.
  return AccessKey{id, account, "admin", std::string("\x00\x01\xfe\xff sealed", 11), 1700000000.5};
}

// --- accounts ---

TEST_P(MetadataStoreConformance, AccountsCreateGetList) {
  ARCA_ASSERT_OK(store().create_account(Account{kOther, "other", 1700000000.25}));
  ARCA_ASSERT_OK(store().create_account(Account{kOwner, "main", 1700000000.5}));
  ARCA_ASSERT_OK_AND_ASSIGN(Account a, store().get_account(kOwner));
  EXPECT_EQ(a.id, kOwner);
  EXPECT_EQ(a.name, "main");
  EXPECT_DOUBLE_EQ(a.created_time, 1700000000.5);
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().list_accounts());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, kOwner);  // ordered by id
  EXPECT_EQ(all[1].id, kOther);
  auto missing = store().get_account("999999999999");
  EXPECT_EQ(code_of(missing), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, AccountIdIsUnique) {
  ARCA_ASSERT_OK(store().create_account(Account{kOwner, "main", 1}));
  auto again = store().create_account(Account{kOwner, "again", 2});
  ASSERT_EQ(code_of(again), "ALREADY_EXISTS");
  EXPECT_EQ(again.error().resource_id, kOwner);
  ARCA_ASSERT_OK_AND_ASSIGN(Account a, store().get_account(kOwner));
  EXPECT_EQ(a.name, "main");
}

// --- access keys ---

TEST_P(MetadataStoreConformance, AccessKeysCreateGetListDelete) {
  ARCA_ASSERT_OK(store().create_account(Account{kOwner, "main", 1}));
  ARCA_ASSERT_OK(store().create_account(Account{kOther, "other", 1}));
  ARCA_ASSERT_OK(store().create_access_key(make_key("AKIAZZZZZZZZZZZZZZZZ", kOwner)));
  ARCA_ASSERT_OK(store().create_access_key(make_key("AKIAAAAAAAAAAAAAAAAA", kOther)));
  ARCA_ASSERT_OK(store().create_access_key(make_key("AKIAMMMMMMMMMMMMMMMM", kOwner)));

  ARCA_ASSERT_OK_AND_ASSIGN(AccessKey k, store().get_access_key("AKIAMMMMMMMMMMMMMMMM"));
  AccessKey expected = make_key("AKIAMMMMMMMMMMMMMMMM", kOwner);
  EXPECT_EQ(k.account_id, kOwner);
  EXPECT_EQ(k.user_name, "admin");
  EXPECT_EQ(k.secret_sealed, expected.secret_sealed);
  EXPECT_DOUBLE_EQ(k.created_time, expected.created_time);

  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().list_access_keys(""));
  std::vector<std::string> ids;
  for (const auto& key : all) ids.push_back(key.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"AKIAAAAAAAAAAAAAAAAA", "AKIAMMMMMMMMMMMMMMMM",
                                           "AKIAZZZZZZZZZZZZZZZZ"}));
  ARCA_ASSERT_OK_AND_ASSIGN(auto mine, store().list_access_keys(kOwner));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, "AKIAMMMMMMMMMMMMMMMM");
  EXPECT_EQ(mine[1].id, "AKIAZZZZZZZZZZZZZZZZ");
  ARCA_ASSERT_OK_AND_ASSIGN(auto none, store().list_access_keys("333333333333"));
  EXPECT_TRUE(none.empty());

  ARCA_ASSERT_OK(store().delete_access_key("AKIAMMMMMMMMMMMMMMMM"));
  EXPECT_EQ(code_of(store().get_access_key("AKIAMMMMMMMMMMMMMMMM")), "NOT_FOUND");
  EXPECT_EQ(code_of(store().delete_access_key("AKIAMMMMMMMMMMMMMMMM")), "NOT_FOUND");
  ARCA_ASSERT_OK_AND_ASSIGN(auto left, store().list_access_keys(kOwner));
  EXPECT_EQ(left.size(), 1u);
}

TEST_P(MetadataStoreConformance, AccessKeyErrors) {
  EXPECT_EQ(code_of(store().create_access_key(make_key("AKIA1111111111111111", kOwner))),
            "NOT_FOUND");  // no such account
  ARCA_ASSERT_OK(store().create_account(Account{kOwner, "main", 1}));
  ARCA_ASSERT_OK(store().create_access_key(make_key("AKIA1111111111111111", kOwner)));
  auto dup = store().create_access_key(make_key("AKIA1111111111111111", kOwner));
  EXPECT_EQ(code_of(dup), "ALREADY_EXISTS");
  EXPECT_EQ(code_of(store().get_access_key("AKIA2222222222222222")), "NOT_FOUND");
}

TEST_P(MetadataStoreConformance, AccessKeysGenerationBumpsOnEveryChange) {
  ARCA_ASSERT_OK(store().create_account(Account{kOwner, "main", 1}));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t g0, store().access_keys_generation());
  ARCA_ASSERT_OK(store().create_access_key(make_key("AKIA1111111111111111", kOwner)));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t g1, store().access_keys_generation());
  EXPECT_GT(g1, g0);
  ARCA_ASSERT_OK(store().create_access_key(make_key("AKIA2222222222222222", kOwner)));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t g2, store().access_keys_generation());
  EXPECT_GT(g2, g1);
  ARCA_ASSERT_OK(store().delete_access_key("AKIA1111111111111111"));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t g3, store().access_keys_generation());
  EXPECT_GT(g3, g2);
  // Failed changes and unrelated writes leave it alone.
  EXPECT_FALSE(store().create_access_key(make_key("AKIA2222222222222222", kOwner)));
  EXPECT_FALSE(store().delete_access_key("AKIA1111111111111111"));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t g4, store().access_keys_generation());
  EXPECT_EQ(g4, g3);
}

// --- domains ---

TEST_P(MetadataStoreConformance, DomainCreateGet) {
  Domain d{kOwner, "my-domain", "arn:aws:kms:us-east-1:111111111111:key/k", 1700000000.123};
  ARCA_ASSERT_OK(store().create_domain(d, 10));
  ARCA_ASSERT_OK_AND_ASSIGN(Domain got, store().get_domain(kOwner, "my-domain"));
  EXPECT_EQ(got.owner, kOwner);
  EXPECT_EQ(got.name, "my-domain");
  EXPECT_EQ(got.encryption_key, d.encryption_key);
  EXPECT_DOUBLE_EQ(got.created_time, 1700000000.123);
  auto other_owner = store().get_domain(kOther, "my-domain");
  ASSERT_EQ(code_of(other_owner), "NOT_FOUND");
  EXPECT_EQ(other_owner.error().resource_type, "domain");
  EXPECT_EQ(other_owner.error().resource_id, "my-domain");
  EXPECT_EQ(code_of(store().get_domain(kOwner, "My-Domain")), "NOT_FOUND");  // case-sensitive
}

TEST_P(MetadataStoreConformance, DomainNameIsUniquePerOwner) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOther, "d"), 10));
  auto dup = store().create_domain(make_domain(kOwner, "d"), 10);
  ASSERT_EQ(code_of(dup), "ALREADY_EXISTS");
  EXPECT_EQ(dup.error().resource_type, "domain");
  EXPECT_EQ(dup.error().resource_id, "d");
  EXPECT_EQ(dup.error().message, "Domain d already exists in account 111111111111");
}

TEST_P(MetadataStoreConformance, DomainQuotaPerOwner) {
  for (const char* name : {"a", "b", "c"}) {
    ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, name), 3));
  }
  auto over = store().create_domain(make_domain(kOwner, "d"), 3);
  ASSERT_EQ(code_of(over), "QUOTA_EXCEEDED");
  EXPECT_EQ(over.error().resource_type, "domain");
  EXPECT_EQ(code_of(store().get_domain(kOwner, "d")), "NOT_FOUND");
  // An existing name is a conflict even at the quota.
  EXPECT_EQ(code_of(store().create_domain(make_domain(kOwner, "a"), 3)), "ALREADY_EXISTS");
  // The quota counts one owner's domains only.
  ARCA_EXPECT_OK(store().create_domain(make_domain(kOther, "d"), 3));
  // Deleting frees a slot.
  ARCA_ASSERT_OK(store().delete_domain(kOwner, "a"));
  ARCA_EXPECT_OK(store().create_domain(make_domain(kOwner, "d"), 3));
}

TEST_P(MetadataStoreConformance, ListDomainsPaginatesByName) {
  std::vector<std::string> names;
  for (int i = 0; i < 23; ++i) names.push_back("d" + std::to_string(100 + i));
  std::vector<std::string> shuffled = names;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  for (const auto& n : shuffled) ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, n), 100));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOther, "d105x"), 100));

  for (size_t limit : {1u, 5u, 7u, 22u, 23u, 24u}) {
    std::vector<std::string> seen;
    Page page{"", limit};
    for (int guard = 0; guard < 100; ++guard) {
      ARCA_ASSERT_OK_AND_ASSIGN(auto rows, store().list_domains(kOwner, page));
      ASSERT_LE(rows.size(), limit);
      for (const auto& d : rows) EXPECT_EQ(d.owner, kOwner);
      auto got = names_of(rows);
      seen.insert(seen.end(), got.begin(), got.end());
      if (rows.size() < limit) break;
      page.after = rows.back().name;
    }
    EXPECT_EQ(seen, names) << "limit " << limit;
  }
  // `after` need not name an existing domain.
  ARCA_ASSERT_OK_AND_ASSIGN(auto rows, store().list_domains(kOwner, Page{"d1105", 3}));
  EXPECT_EQ(names_of(rows), (std::vector<std::string>{"d111", "d112", "d113"}));
  ARCA_ASSERT_OK_AND_ASSIGN(auto tail, store().list_domains(kOwner, Page{"d122", 50}));
  EXPECT_TRUE(tail.empty());
  ARCA_ASSERT_OK_AND_ASSIGN(auto none, store().list_domains("333333333333", Page{}));
  EXPECT_TRUE(none.empty());
}

TEST_P(MetadataStoreConformance, DeleteDomain) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  auto busy = store().delete_domain(kOwner, "d");
  ASSERT_EQ(code_of(busy), "FAILED_PRECONDITION");
  EXPECT_EQ(busy.error().resource_type, "domain");
  ARCA_EXPECT_OK(store().get_domain(kOwner, "d"));
  ARCA_ASSERT_OK(store().delete_repository(kOwner, "d", "r"));
  ARCA_ASSERT_OK(store().delete_domain(kOwner, "d"));
  EXPECT_EQ(code_of(store().get_domain(kOwner, "d")), "NOT_FOUND");
  EXPECT_EQ(code_of(store().delete_domain(kOwner, "d")), "NOT_FOUND");
  // The name can be reused.
  ARCA_EXPECT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
}

TEST_P(MetadataStoreConformance, DeleteDomainRemovesItsTagsOnly) {
  for (const char* n : {"d", "xd", "d2"}) {
    ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, n), 10));
  }
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOther, "d"), 10));
  const std::vector<std::string> doomed = {domain_arn(kOwner, "d"),
                                           domain_arn(kOwner, "d", "eu-west-1")};
  const std::vector<std::string> kept = {domain_arn(kOwner, "xd"), domain_arn(kOwner, "d2"),
                                         domain_arn(kOther, "d"),
                                         domain_arn("0" + std::string(kOwner), "d")};
  for (const auto& arn : doomed) ARCA_ASSERT_OK(store().put_tags(arn, {{"k", "v"}}, 10));
  for (const auto& arn : kept) ARCA_ASSERT_OK(store().put_tags(arn, {{"k", "v"}}, 10));
  ARCA_ASSERT_OK(store().delete_domain(kOwner, "d"));
  for (const auto& arn : doomed) {
    ARCA_ASSERT_OK_AND_ASSIGN(Tags t, store().get_tags(arn));
    EXPECT_TRUE(t.empty()) << arn;
  }
  for (const auto& arn : kept) {
    ARCA_ASSERT_OK_AND_ASSIGN(Tags t, store().get_tags(arn));
    EXPECT_EQ(t.size(), 1u) << arn;
  }
}

TEST_P(MetadataStoreConformance, CountRepositories) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "e"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(size_t zero, store().count_repositories(kOwner, "d"));
  EXPECT_EQ(zero, 0u);
  for (const char* n : {"a", "b", "c"}) {
    ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", n), 10));
  }
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "e", "a"), 10));
  ARCA_ASSERT_OK_AND_ASSIGN(size_t three, store().count_repositories(kOwner, "d"));
  EXPECT_EQ(three, 3u);
  EXPECT_EQ(code_of(store().count_repositories(kOwner, "missing")), "NOT_FOUND");
}

// --- tags ---

TEST_P(MetadataStoreConformance, TagsMergeAndRemove) {
  const std::string arn = domain_arn(kOwner, "d");
  ARCA_ASSERT_OK_AND_ASSIGN(Tags none, store().get_tags(arn));
  EXPECT_TRUE(none.empty());
  ARCA_ASSERT_OK(store().put_tags(arn, {{"a", "1"}, {"b", "2"}}, 10));
  ARCA_ASSERT_OK(store().put_tags(arn, {{"b", "3"}, {"c", ""}}, 10));
  ARCA_ASSERT_OK_AND_ASSIGN(Tags merged, store().get_tags(arn));
  EXPECT_EQ(merged, (Tags{{"a", "1"}, {"b", "3"}, {"c", ""}}));
  ARCA_ASSERT_OK(store().remove_tags(arn, {"a", "missing"}));
  ARCA_ASSERT_OK_AND_ASSIGN(Tags left, store().get_tags(arn));
  EXPECT_EQ(left, (Tags{{"b", "3"}, {"c", ""}}));
  // Tags are keyed by the exact ARN string.
  ARCA_ASSERT_OK_AND_ASSIGN(Tags other_region,
                            store().get_tags(domain_arn(kOwner, "d", "eu-west-1")));
  EXPECT_TRUE(other_region.empty());
  ARCA_ASSERT_OK(store().remove_tags(arn, {}));
  ARCA_ASSERT_OK(store().put_tags(arn, {}, 10));
}

TEST_P(MetadataStoreConformance, TagsLimitIsAtomic) {
  const std::string arn = repository_arn(kOwner, "d", "r");
  ARCA_ASSERT_OK(store().put_tags(arn, {{"a", "1"}, {"b", "2"}}, 3));
  auto over = store().put_tags(arn, {{"c", "3"}, {"d", "4"}}, 3);
  ASSERT_EQ(code_of(over), "QUOTA_EXCEEDED");
  EXPECT_EQ(over.error().resource_id, arn);
  ARCA_ASSERT_OK_AND_ASSIGN(Tags unchanged, store().get_tags(arn));
  EXPECT_EQ(unchanged, (Tags{{"a", "1"}, {"b", "2"}}));    // nothing of the failed put applied
  ARCA_ASSERT_OK(store().put_tags(arn, {{"c", "3"}}, 3));  // exactly at the limit
  ARCA_ASSERT_OK(store().put_tags(arn, {{"a", "updated"}}, 3));  // replacing does not count
  EXPECT_EQ(code_of(store().put_tags(arn, {{"z", "1"}}, 3)), "QUOTA_EXCEEDED");
  ARCA_ASSERT_OK_AND_ASSIGN(Tags final_tags, store().get_tags(arn));
  EXPECT_EQ(final_tags, (Tags{{"a", "updated"}, {"b", "2"}, {"c", "3"}}));
}

}  // namespace
}  // namespace arca::store::conformance
