#pragma once
// The conformance suite every BlobStore implementation passes. It uses the BlobStore interface
// only. A backend's test file instantiates it with its factories:
//
//   namespace arca::blob::conformance {
//   ARCA_INSTANTIATE_BLOB_STORE_CONFORMANCE(
//       Fs, ::testing::Values(NamedBlobStoreFactory{"Fs", make_fs_store}));
//   }
//
// Each test gets a fresh empty temp directory and a fresh store made by the factory in it.
// BlobStoreConformance covers the contract; BlobStoreFaults wraps the store in a
// FaultInjectingBlobStore and proves that every failure leaves nothing visible.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "blob/blob_store.h"

namespace arca::blob {
class FaultInjectingBlobStore;
}

namespace arca::blob::conformance {

// Makes an empty store whose private state (files, bucket prefix, ...) lives under `tempdir`.
using BlobStoreFactory = std::function<std::unique_ptr<BlobStore>(const std::string& tempdir)>;

struct NamedBlobStoreFactory {
  std::string name;  // test name suffix: letters, digits, '_'
  BlobStoreFactory make;
};
void PrintTo(const NamedBlobStoreFactory& f, std::ostream* os);
std::string blob_store_factory_name(const ::testing::TestParamInfo<NamedBlobStoreFactory>& info);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
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

// Writes `data` in chunks of `chunk` bytes and commits with `expect`.
Result<BlobInfo> put_blob(BlobStore& store, std::string_view data, size_t chunk = 4096,
                          const CommitExpectations& expect = {});
// Reads the blob from `offset` to the end with a buffer of `buf_size` bytes.
Result<std::string> read_blob(BlobStore& store, const std::string& key, uint64_t offset = 0,
                              size_t buf_size = 4096);
// Deterministic pseudo-random bytes.
std::string pseudo_random_bytes(size_t n, uint64_t seed);

// Expects `expr` (a Result or Status) to fail with `expected_code`.
#define EXPECT_ERROR_CODE(expr, expected_code)                                        \
  do {                                                                                \
    auto r_ = (expr);                                                                 \
    ASSERT_FALSE(r_) << #expr << " succeeded, expected " << code_name(expected_code); \
    EXPECT_STREQ(code_name(r_.error().code), code_name(expected_code))                \
        << #expr << ": " << r_.error().message;                                       \
  } while (0)

class BlobStoreConformance : public ::testing::TestWithParam<NamedBlobStoreFactory> {
 protected:
  void SetUp() override;
  BlobStore& store() { return *store_; }

  TempDir tempdir_;
  std::unique_ptr<BlobStore> store_;
};

class BlobStoreFaults : public BlobStoreConformance {
 protected:
  BlobStoreFaults();
  ~BlobStoreFaults() override;
  void SetUp() override;
  // The store holds exactly the seed blob, and `key` is not visible.
  void expect_nothing_visible(const std::string& key);
  // `e` is a fault injected by FaultInjectingBlobStore.
  static void expect_injected(const Error& e);

  std::unique_ptr<FaultInjectingBlobStore> faulty_;  // wraps store()
  std::string seed_key_;
  const std::string data_;
  const std::string key_;  // sha256 of data_
};

// Instantiates both suites for the given factories (a ::testing::Values/ValuesIn generator).
// Use inside namespace arca::blob::conformance.
#define ARCA_INSTANTIATE_BLOB_STORE_CONFORMANCE(prefix, ...)                                    \
  INSTANTIATE_TEST_SUITE_P(prefix, BlobStoreConformance, __VA_ARGS__, blob_store_factory_name); \
  INSTANTIATE_TEST_SUITE_P(prefix, BlobStoreFaults, __VA_ARGS__, blob_store_factory_name)

}  // namespace arca::blob::conformance
