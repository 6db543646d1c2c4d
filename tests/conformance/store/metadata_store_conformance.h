#pragma once
// The MetadataStore conformance suite: behaviour every implementation must have, written against
// the interface only. An implementation joins by instantiating the suite with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, MetadataStoreConformance,
//                            ::testing::Values(MetadataStoreFactory{"postgres", make_pg_store}),
//                            metadata_store_factory_name);
//
// Each test gets a fresh, empty store from the factory and a private temporary directory.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/metadata_store.h"
#include "util/error.h"

namespace arca::store::conformance {

// Builds an empty store. `tempdir` is a fresh directory owned by the test (removed after it);
// a file-based store puts its files there, a server-based one may ignore it. Must not return null
// (fail the test with ADD_FAILURE() and return null only if the store cannot be built).
using MetadataStoreMaker =
    std::function<std::unique_ptr<MetadataStore>(const std::string& tempdir)>;

struct MetadataStoreFactory {
  std::string name;  // test name suffix: letters, digits, '_'
  MetadataStoreMaker make;
};

std::string metadata_store_factory_name(const ::testing::TestParamInfo<MetadataStoreFactory>& info);

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class MetadataStoreConformance : public ::testing::TestWithParam<MetadataStoreFactory> {
 protected:
  void SetUp() override;
  MetadataStore& store() { return *store_; }
  const std::string& tempdir() const { return dir_.path(); }

  TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

// "OK" or the code name of a Result/Status, for readable EXPECT_EQ failures.
template <class R>
std::string code_of(const R& r) {
  return r ? std::string("OK") : std::string(code_name(r.error().code));
}

// Records for tests.
Domain make_domain(const std::string& owner, const std::string& name);
Repository make_repository(const std::string& owner, const std::string& domain,
                           const std::string& name, std::vector<std::string> upstreams = {});
std::string domain_arn(const std::string& owner, const std::string& name,
                       const std::string& region = "us-east-1");
std::string repository_arn(const std::string& owner, const std::string& domain,
                           const std::string& name, const std::string& region = "us-east-1");
// Names of repositories, in order.
std::vector<std::string> names_of(const std::vector<Repository>& repos);
std::vector<std::string> names_of(const std::vector<Domain>& domains);

}  // namespace arca::store::conformance

#define ARCA_ASSERT_OK(expr)                                                \
  do {                                                                      \
    auto arca_ok_r_ = (expr);                                               \
    ASSERT_TRUE(arca_ok_r_) << #expr << ": " << arca_ok_r_.error().message; \
  } while (0)

#define ARCA_EXPECT_OK(expr)                                                \
  do {                                                                      \
    auto arca_ok_r_ = (expr);                                               \
    EXPECT_TRUE(arca_ok_r_) << #expr << ": " << arca_ok_r_.error().message; \
  } while (0)

// Declares `lhs` from a Result, failing the test (and returning) on error.
#define ARCA_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ARCA_ASSERT_OK_AND_ASSIGN_IMPL_(ARCA_CONCAT_(arca_ok_v_, __LINE__), lhs, expr)
#define ARCA_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)     \
  auto tmp = (expr);                                        \
  ASSERT_TRUE(tmp) << #expr << ": " << tmp.error().message; \
  lhs = std::move(*tmp)
