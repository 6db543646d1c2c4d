// Failure paths of the conformance suite: the backend wrapped in a FaultInjectingBlobStore must
// leave nothing visible whatever step fails, and work normally once the fault is gone.
#include <algorithm>

#include "blob/fault_injecting_blob_store.h"
#include "conformance/blob/blob_store_conformance.h"
#include "util/crypto.h"

namespace arca::blob::conformance {

BlobStoreFaults::BlobStoreFaults()
    : data_(pseudo_random_bytes(50'000, 42)), key_(crypto::sha256_hex(data_)) {}
BlobStoreFaults::~BlobStoreFaults() = default;

void BlobStoreFaults::SetUp() {
  BlobStoreConformance::SetUp();
  faulty_ = std::make_unique<FaultInjectingBlobStore>(store());
  auto seeded = put_blob(store(), "seed");
  ASSERT_TRUE(seeded) << seeded.error().message;
  seed_key_ = seeded->sha256;
}

void BlobStoreFaults::expect_nothing_visible(const std::string& key) {
  EXPECT_ERROR_CODE(store().stat(key), Code::kNotFound);
  EXPECT_ERROR_CODE(store().open(key), Code::kNotFound);
  auto listed = store().list();
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<std::string>{seed_key_});
}

void BlobStoreFaults::expect_injected(const Error& e) {
  EXPECT_EQ(e.code, Code::kUnavailable) << e.message;
  EXPECT_EQ(e.message.rfind("injected fault: ", 0), 0u) << e.message;
}

namespace {

TEST_P(BlobStoreFaults, NoFaultsForwardsEverything) {
  auto info = put_blob(*faulty_, data_, 4000);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->sha256, key_);
  EXPECT_TRUE(store().stat(key_));
  auto back = read_blob(*faulty_, key_, 100);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data_.substr(100));
  ASSERT_TRUE(faulty_->remove(key_));
  EXPECT_ERROR_CODE(faulty_->stat(key_), Code::kNotFound);
}

TEST_P(BlobStoreFaults, FailedBeginWrite) {
  faulty_->set_faults({.fail_begin_write = true});
  auto w = faulty_->begin_write();
  ASSERT_FALSE(w);
  expect_injected(w.error());
  expect_nothing_visible(key_);
}

TEST_P(BlobStoreFaults, FailedWriteLeavesNothingVisible) {
  faulty_->set_faults({.fail_write_after_bytes = 10'000});
  {
    auto w = faulty_->begin_write();
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE((*w)->write(std::string_view(data_).substr(0, 8000)));
    auto st = (*w)->write(std::string_view(data_).substr(8000, 8000));
    ASSERT_FALSE(st);
    expect_injected(st.error());
    EXPECT_EQ((*w)->bytes_written(), 10'000u);  // the partial write reached the backend
    auto again = (*w)->write("x");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Code::kUnavailable);
    auto commit = (*w)->commit();
    ASSERT_FALSE(commit);
    EXPECT_EQ(commit.error().code, Code::kUnavailable);
    expect_nothing_visible(key_);
  }
  expect_nothing_visible(key_);
  // What was written before the failure is not visible under its own hash either.
  EXPECT_ERROR_CODE(store().stat(crypto::sha256_hex(data_.substr(0, 10'000))), Code::kNotFound);
}

TEST_P(BlobStoreFaults, FailedCommitBeforeVisible) {
  faulty_->set_faults({.fail_commit = true});
  {
    auto w = faulty_->begin_write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write(data_));
    auto info = (*w)->commit({.sha256 = key_});
    ASSERT_FALSE(info);
    expect_injected(info.error());
    expect_nothing_visible(key_);
  }
  expect_nothing_visible(key_);
}

TEST_P(BlobStoreFaults, RetryAfterFaultSucceeds) {
  faulty_->set_faults({.fail_write_after_bytes = 1});
  ASSERT_FALSE(put_blob(*faulty_, data_));
  faulty_->clear_faults();
  auto info = put_blob(*faulty_, data_, 7000, {.sha256 = key_, .size = data_.size()});
  ASSERT_TRUE(info) << info.error().message;
  auto back = read_blob(store(), key_);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data_);
}

TEST_P(BlobStoreFaults, FailedOpen) {
  faulty_->set_faults({.fail_open = true});
  auto r = faulty_->open(seed_key_);
  ASSERT_FALSE(r);
  expect_injected(r.error());
  faulty_->clear_faults();
  auto back = read_blob(*faulty_, seed_key_);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "seed");
}

TEST_P(BlobStoreFaults, FailedReadMidStream) {
  ASSERT_TRUE(put_blob(store(), data_));
  faulty_->set_faults({.fail_read_after_bytes = 20'000});
  auto r = faulty_->open(key_);
  ASSERT_TRUE(r) << r.error().message;
  std::string got;
  char buf[3000];
  Error failure;
  for (;;) {
    auto n = (*r)->read(buf, sizeof buf);
    if (!n) {
      failure = n.error();
      break;
    }
    ASSERT_NE(*n, 0u) << "reached the end without the injected failure";
    got.append(buf, *n);
  }
  expect_injected(failure);
  EXPECT_EQ(got.size(), 20'000u);
  EXPECT_TRUE(got == data_.substr(0, 20'000));
}

TEST_P(BlobStoreFaults, FailedRemoveKeepsBlob) {
  faulty_->set_faults({.fail_remove = true});
  auto st = faulty_->remove(seed_key_);
  ASSERT_FALSE(st);
  expect_injected(st.error());
  EXPECT_TRUE(store().stat(seed_key_));
}

TEST_P(BlobStoreFaults, FailedList) {
  faulty_->set_faults({.fail_list = true});
  auto l = faulty_->list();
  ASSERT_FALSE(l);
  expect_injected(l.error());
}

}  // namespace
}  // namespace arca::blob::conformance
