// Conformance: concurrent callers. Every method is one transaction and may be called from any
// thread; uniqueness and quota checks must be exact under contention.
#include <atomic>
#include <latch>
#include <thread>

#include "conformance/store/metadata_store_conformance.h"

namespace arca::store::conformance {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr int kThreads = 10;

// Runs fn(i) on kThreads threads released together; returns how many returned OK and the codes
// of the failures.
template <class Fn>
std::pair<int, std::vector<std::string>> race(Fn fn) {
  std::latch start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = fn(i);
      if (r) {
        ++ok;
      } else {
        failures[static_cast<size_t>(i)] = code_name(r.error().code);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> codes;
  for (auto& f : failures) {
    if (!f.empty()) codes.push_back(f);
  }
  return {ok.load(), codes};
}

TEST_P(MetadataStoreConformance, ConcurrentCreatesOfOneDomainHaveOneWinner) {
  auto [ok, codes] = race([&](int) { return store().create_domain(make_domain(kOwner, "d"), 10); });
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(codes, std::vector<std::string>(kThreads - 1, "ALREADY_EXISTS"));
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().list_domains(kOwner, Page{}));
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(MetadataStoreConformance, ConcurrentDomainCreatesRespectQuota) {
  auto [ok, codes] = race([&](int i) {
    return store().create_domain(make_domain(kOwner, "d" + std::to_string(i)), 4);
  });
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(codes, std::vector<std::string>(kThreads - 4, "QUOTA_EXCEEDED"));
  ARCA_ASSERT_OK_AND_ASSIGN(auto all, store().list_domains(kOwner, Page{}));
  EXPECT_EQ(all.size(), 4u);
}

TEST_P(MetadataStoreConformance, ConcurrentRepositoryCreatesAreExact) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  auto same =
      race([&](int) { return store().create_repository(make_repository(kOwner, "d", "r"), 100); });
  EXPECT_EQ(same.first, 1);
  EXPECT_EQ(same.second, std::vector<std::string>(kThreads - 1, "ALREADY_EXISTS"));
  auto quota = race([&](int i) {
    return store().create_repository(make_repository(kOwner, "d", "q" + std::to_string(i)), 4);
  });
  EXPECT_EQ(quota.first, 3);  // "r" already holds one of the 4 slots
  ARCA_ASSERT_OK_AND_ASSIGN(size_t count, store().count_repositories(kOwner, "d"));
  EXPECT_EQ(count, 4u);
}

TEST_P(MetadataStoreConformance, ConcurrentTagPutsRespectLimit) {
  const std::string arn = domain_arn(kOwner, "d");
  auto [ok, codes] = race([&](int i) {
    return store().put_tags(arn, {{"k" + std::to_string(i), "v"}}, 5);
  });
  EXPECT_EQ(ok, 5);
  ARCA_ASSERT_OK_AND_ASSIGN(Tags tags, store().get_tags(arn));
  EXPECT_EQ(tags.size(), 5u);
}

TEST_P(MetadataStoreConformance, ConcurrentExternalConnectionsRespectLimit) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "r"), 10));
  auto [ok, codes] = race([&](int i) {
    return store().add_external_connection(kOwner, "d", "r",
                                           {"public:c" + std::to_string(i), "npm"}, 1);
  });
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(codes, std::vector<std::string>(kThreads - 1, "QUOTA_EXCEEDED"));
}

TEST_P(MetadataStoreConformance, ConcurrentAccessKeyChangesBumpGenerationOncePerChange) {
  ARCA_ASSERT_OK(store().create_account(Account{kOwner, "main", 1}));
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t before, store().access_keys_generation());
  auto [ok, codes] = race([&](int i) {
    std::string id = "AKIA" + std::string(15, 'A') + std::to_string(i);
    return store().create_access_key(AccessKey{id, kOwner, "u", "s", 1});
  });
  EXPECT_EQ(ok, kThreads);
  ARCA_ASSERT_OK_AND_ASSIGN(int64_t after, store().access_keys_generation());
  EXPECT_GE(after - before, kThreads);  // no lost increments
}

// Readers run while a writer changes repositories; each reader must only ever see whole
// transactions: a repository is visible with its full upstream list or not at all, and counts
// never go backwards.
TEST_P(MetadataStoreConformance, ReadersSeeWholeTransactionsDuringWrites) {
  ARCA_ASSERT_OK(store().create_domain(make_domain(kOwner, "d"), 10));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "base1"), 1000));
  ARCA_ASSERT_OK(store().create_repository(make_repository(kOwner, "d", "base2"), 1000));
  const std::vector<std::string> ups = {"base2", "base1"};
  constexpr int kWrites = 60;
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> errors{0};

  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      std::string name = "r" + std::to_string(1000 + i);
      if (!store().create_repository(make_repository(kOwner, "d", name, ups), 1000)) ++errors;
      if (!store().put_tags(repository_arn(kOwner, "d", name), {{"n", name}}, 10)) ++errors;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      size_t last_count = 0;
      while (!done || reads < 8) {
        auto list = store().list_repositories({kOwner, "d", std::nullopt, "r"}, Page{"", 1000});
        auto count = store().count_repositories(kOwner, "d");
        if (!list || !count) {
          ++errors;
          continue;
        }
        for (const auto& r : *list) {
          if (r.upstreams != ups) ++errors;
        }
        if (list->size() < last_count || *count < list->size() + 2) ++errors;
        last_count = list->size();
        ++reads;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  ARCA_ASSERT_OK_AND_ASSIGN(size_t count, store().count_repositories(kOwner, "d"));
  EXPECT_EQ(count, static_cast<size_t>(kWrites + 2));
}

}  // namespace
}  // namespace arca::store::conformance
