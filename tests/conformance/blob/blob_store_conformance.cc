#include "conformance/blob/blob_store_conformance.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "util/crypto.h"

namespace arca::blob::conformance {

void PrintTo(const NamedBlobStoreFactory& f, std::ostream* os) { *os << f.name; }

std::string blob_store_factory_name(const ::testing::TestParamInfo<NamedBlobStoreFactory>& info) {
  return info.param.name;
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/arca-blob-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Result<BlobInfo> put_blob(BlobStore& store, std::string_view data, size_t chunk,
                          const CommitExpectations& expect) {
  ARCA_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> w, store.begin_write());
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    ARCA_TRY(w->write(data.substr(pos, chunk)));
  }
  return w->commit(expect);
}

Result<std::string> read_blob(BlobStore& store, const std::string& key, uint64_t offset,
                              size_t buf_size) {
  ARCA_ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> r, store.open(key, offset));
  std::string out;
  std::vector<char> buf(buf_size);
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(size_t n, r->read(buf.data(), buf.size()));
    if (n == 0) break;
    if (n > buf.size()) return internal_error("read() returned more than asked");
    out.append(buf.data(), n);
  }
  return out;
}

std::string pseudo_random_bytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

void BlobStoreConformance::SetUp() {
  store_ = GetParam().make(tempdir_.path());
  ASSERT_NE(store_, nullptr) << "factory " << GetParam().name << " returned no store";
}

namespace {

// Known vectors (FIPS 180 / RFC 1321 / RFC 3174 test strings).
constexpr const char* kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
constexpr const char* kEmptySha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kEmptySha512 =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
constexpr const char* kAbcMd5 = "900150983cd24fb0d6963f7d28e17f72";
constexpr const char* kAbcSha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kAbcSha512 =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
// A well-formed key that no test writes.
constexpr const char* kAbsentKey =
    "0000000000000000000000000000000000000000000000000000000000000001";

std::vector<std::string> keys(BlobStore& store) {
  auto r = store.list();
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  if (!r) return {};
  std::vector<std::string> k = *r;
  std::sort(k.begin(), k.end());
  return k;
}

TEST_P(BlobStoreConformance, EmptyStoreListsNothing) { EXPECT_TRUE(keys(store()).empty()); }

TEST_P(BlobStoreConformance, RoundTripInChunks) {
  std::string data = pseudo_random_bytes(100'003, 1);
  auto info = put_blob(store(), data, 777);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->sha256, crypto::sha256_hex(data));
  EXPECT_EQ(info->size, data.size());

  auto st = store().stat(info->sha256);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->sha256, info->sha256);
  EXPECT_EQ(st->size, data.size());

  auto back = read_blob(store(), info->sha256, 0, 1000);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(keys(store()), std::vector<std::string>{info->sha256});
}

TEST_P(BlobStoreConformance, DigestsOfEmptyBlob) {
  auto w = store().begin_write();
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ((*w)->bytes_written(), 0u);
  auto info = (*w)->commit();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->md5, kEmptyMd5);
  EXPECT_EQ(info->sha1, kEmptySha1);
  EXPECT_EQ(info->sha256, kEmptySha256);
  EXPECT_EQ(info->sha512, kEmptySha512);
  auto back = read_blob(store(), kEmptySha256);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, "");
}

TEST_P(BlobStoreConformance, DigestsOfAbcWrittenByteByByte) {
  auto w = store().begin_write();
  ASSERT_TRUE(w) << w.error().message;
  for (std::string_view part : {"a", "", "b", "c"}) ASSERT_TRUE((*w)->write(part));
  EXPECT_EQ((*w)->bytes_written(), 3u);
  auto info = (*w)->commit({.sha256 = std::string(kAbcSha256), .size = 3});
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->size, 3u);
  EXPECT_EQ(info->md5, kAbcMd5);
  EXPECT_EQ(info->sha1, kAbcSha1);
  EXPECT_EQ(info->sha256, kAbcSha256);
  EXPECT_EQ(info->sha512, kAbcSha512);
}

TEST_P(BlobStoreConformance, Sha256MismatchLeavesNothingVisible) {
  auto info = put_blob(store(), "abc", 1, {.sha256 = std::string(kEmptySha256)});
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Code::kInvalidArgument) << info.error().message;
  EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
  EXPECT_ERROR_CODE(store().stat(kEmptySha256), Code::kNotFound);
  EXPECT_TRUE(keys(store()).empty());
}

TEST_P(BlobStoreConformance, Sha1AndSha512AreCheckedBeforeAnythingIsVisible) {
  auto ok = put_blob(store(), "abc", 1,
                     {.sha1 = std::string(kAbcSha1), .sha512 = std::string(kAbcSha512)});
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_TRUE(store().remove(kAbcSha256));
  for (CommitExpectations bad : {CommitExpectations{.sha1 = std::string(kAbcMd5)},
                                 CommitExpectations{.sha512 = std::string(kAbcSha1)}}) {
    auto info = put_blob(store(), "abc", 2, bad);
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, Code::kInvalidArgument) << info.error().message;
    EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
    EXPECT_TRUE(keys(store()).empty());
  }
}

TEST_P(BlobStoreConformance, SizeMismatchLeavesNothingVisible) {
  auto info = put_blob(store(), "abc", 2, {.sha256 = std::string(kAbcSha256), .size = 4});
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Code::kInvalidArgument) << info.error().message;
  EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
  EXPECT_TRUE(keys(store()).empty());
}

TEST_P(BlobStoreConformance, UppercaseExpectedSha256IsRejected) {
  std::string upper(kAbcSha256);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto info = put_blob(store(), "abc", 3, {.sha256 = upper});
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(keys(store()).empty());
}

TEST_P(BlobStoreConformance, WriterIsSpentAfterCommit) {
  auto w = store().begin_write();
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("abc"));
  ASSERT_TRUE((*w)->commit());
  EXPECT_ERROR_CODE((*w)->commit(), Code::kFailedPrecondition);
  EXPECT_ERROR_CODE((*w)->write("more"), Code::kFailedPrecondition);
  auto back = read_blob(store(), kAbcSha256);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "abc");
}

TEST_P(BlobStoreConformance, WriterIsSpentAfterFailedCommit) {
  auto w = store().begin_write();
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("abc"));
  EXPECT_ERROR_CODE((*w)->commit({.size = 1}), Code::kInvalidArgument);
  EXPECT_ERROR_CODE((*w)->commit(), Code::kFailedPrecondition);
  EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
}

TEST_P(BlobStoreConformance, AbandonedWriterLeavesNothingVisible) {
  {
    auto w = store().begin_write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write("abc"));
  }
  EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
  EXPECT_TRUE(keys(store()).empty());
}

// share_file() (optional: -1 when the writer keeps no file): what was written can be read
// through it while writing goes on, after a commit, and after an abandoned write, which still
// leaves nothing visible. Each call gives a new descriptor; none after commit().
TEST_P(BlobStoreConformance, SharedFileReadsWhatWasWritten) {
  auto pread_all = [](int fd, size_t n) {
    std::string out(n, '\0');
    ssize_t got = ::pread(fd, out.data(), n, 0);
    out.resize(got < 0 ? 0 : size_t(got));
    return out;
  };
  for (bool commit : {true, false}) {
    auto w = store().begin_write();
    ASSERT_TRUE(w);
    int fd = (*w)->share_file();
    if (fd < 0) GTEST_SKIP() << "this store's writers share no file";
    ASSERT_TRUE((*w)->write("ab"));
    EXPECT_EQ(pread_all(fd, 8), "ab");
    int second = (*w)->share_file();
    ASSERT_GE(second, 0);
    EXPECT_NE(second, fd);
    ::close(second);
    ASSERT_TRUE((*w)->write("c"));
    if (commit) {
      ASSERT_TRUE((*w)->commit());
      EXPECT_EQ((*w)->share_file(), -1);
    }
    w->reset();  // the writer's end: committed, or abandoned
    EXPECT_EQ(pread_all(fd, 8), "abc");
    ::close(fd);
    if (commit) {
      auto back = read_blob(store(), kAbcSha256);
      ASSERT_TRUE(back);
      EXPECT_EQ(*back, "abc");
      ASSERT_TRUE(store().remove(kAbcSha256));
    }
    EXPECT_TRUE(keys(store()).empty());
  }
}

TEST_P(BlobStoreConformance, SameContentTwiceIsDeduplicated) {
  std::string data = pseudo_random_bytes(10'000, 2);
  auto first = put_blob(store(), data, 1000);
  ASSERT_TRUE(first) << first.error().message;
  auto second = put_blob(store(), data, 333, {.sha256 = first->sha256, .size = data.size()});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_EQ(second->md5, first->md5);
  EXPECT_EQ(second->sha1, first->sha1);
  EXPECT_EQ(second->sha512, first->sha512);
  EXPECT_EQ(keys(store()), std::vector<std::string>{first->sha256});
  auto back = read_blob(store(), first->sha256);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data);
}

TEST_P(BlobStoreConformance, ReadsFromOffsets) {
  std::string data = pseudo_random_bytes(20'000, 3);
  auto info = put_blob(store(), data);
  ASSERT_TRUE(info);
  for (uint64_t offset : {0ul, 1ul, 4095ul, 4096ul, 10'000ul, 19'999ul}) {
    for (size_t buf : {1ul, 7ul, 4096ul, 65'536ul}) {
      if (buf == 1 && offset < 19'000) continue;  // byte-at-a-time only near the end
      auto back = read_blob(store(), info->sha256, offset, buf);
      ASSERT_TRUE(back) << "offset " << offset << ": " << back.error().message;
      EXPECT_TRUE(*back == data.substr(offset)) << "offset " << offset << " buf " << buf;
    }
  }
  auto r = store().open(info->sha256, 5);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->size(), data.size());  // the whole blob, not the remainder
  char c;
  auto zero = (*r)->read(&c, 0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(*zero, 0u);
}

TEST_P(BlobStoreConformance, OffsetAtEndReadsNothingAndPastEndIsInvalid) {
  auto info = put_blob(store(), "abc");
  ASSERT_TRUE(info);
  auto at_end = read_blob(store(), kAbcSha256, 3);
  ASSERT_TRUE(at_end) << at_end.error().message;
  EXPECT_EQ(*at_end, "");
  EXPECT_ERROR_CODE(store().open(kAbcSha256, 4), Code::kInvalidArgument);
}

TEST_P(BlobStoreConformance, RemoveMakesBlobNotFound) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  ASSERT_TRUE(put_blob(store(), ""));
  ASSERT_TRUE(store().remove(kAbcSha256));
  EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
  EXPECT_ERROR_CODE(store().open(kAbcSha256), Code::kNotFound);
  EXPECT_FALSE(store().local_path(kAbcSha256));
  EXPECT_ERROR_CODE(store().remove(kAbcSha256), Code::kNotFound);
  EXPECT_EQ(keys(store()), std::vector<std::string>{kEmptySha256});
  // Content can come back after removal.
  ASSERT_TRUE(put_blob(store(), "abc"));
  EXPECT_TRUE(store().stat(kAbcSha256));
}

TEST_P(BlobStoreConformance, MissingBlobIsNotFound) {
  EXPECT_ERROR_CODE(store().stat(kAbsentKey), Code::kNotFound);
  EXPECT_ERROR_CODE(store().open(kAbsentKey), Code::kNotFound);
  EXPECT_ERROR_CODE(store().open(kAbsentKey, 10), Code::kNotFound);
  EXPECT_ERROR_CODE(store().remove(kAbsentKey), Code::kNotFound);
  EXPECT_FALSE(store().local_path(kAbsentKey));
}

TEST_P(BlobStoreConformance, InvalidKeysAreRejected) {
  const std::string valid(kAbcSha256);
  std::string upper = valid;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  std::string traversal = "../../../../../../../../etc/passwd";
  traversal.resize(64, '/');
  std::string with_nul = valid;
  with_nul[10] = '\0';
  const std::vector<std::string> bad = {
      "",        "abc",    valid.substr(0, 63),       valid + "0",          upper,
      traversal, with_nul, "ba/78" + valid.substr(5), std::string(64, 'g'), " " + valid.substr(1)};
  ASSERT_TRUE(put_blob(store(), "abc"));
  for (const std::string& key : bad) {
    SCOPED_TRACE("key '" + key + "'");
    EXPECT_ERROR_CODE(store().stat(key), Code::kInvalidArgument);
    EXPECT_ERROR_CODE(store().open(key), Code::kInvalidArgument);
    EXPECT_ERROR_CODE(store().remove(key), Code::kInvalidArgument);
    EXPECT_FALSE(store().local_path(key));
  }
  EXPECT_TRUE(store().stat(kAbcSha256));
}

TEST_P(BlobStoreConformance, ListsEveryCommittedKey) {
  std::vector<std::string> expected;
  for (uint64_t i = 0; i < 20; ++i) {
    auto info = put_blob(store(), pseudo_random_bytes(i * 37, i + 100));
    ASSERT_TRUE(info) << info.error().message;
    expected.push_back(info->sha256);
  }
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  EXPECT_EQ(keys(store()), expected);
}

TEST_P(BlobStoreConformance, LargeBlobStreamsWithOddChunks) {
  std::string data = pseudo_random_bytes((5 << 20) + 11, 4);
  auto info = put_blob(store(), data, 65'537, {.sha256 = crypto::sha256_hex(data)});
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->sha512, crypto::digest_hex(crypto::Algo::kSha512, data));
  EXPECT_EQ(info->md5, crypto::digest_hex(crypto::Algo::kMd5, data));
  EXPECT_EQ(info->sha1, crypto::digest_hex(crypto::Algo::kSha1, data));
  auto back = read_blob(store(), info->sha256, 0, 100'003);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data);
}

// A large blob's digests may be computed apart from its writes (the filesystem store does so
// past 256 KiB): they are checked all the same before anything is visible, and an abandoned
// large write leaves nothing.
TEST_P(BlobStoreConformance, ALargeBlobsDigestsAreCheckedBeforeAnythingIsVisible) {
  const std::string data = pseudo_random_bytes((2 << 20) + 5, 6);
  const std::string sha1 = crypto::digest_hex(crypto::Algo::kSha1, data);
  const std::string sha512 = crypto::digest_hex(crypto::Algo::kSha512, data);
  for (CommitExpectations bad : {CommitExpectations{.sha1 = sha512.substr(0, 40)},
                                 CommitExpectations{.sha512 = std::string(kAbcSha512)}}) {
    auto info = put_blob(store(), data, 100'000, bad);
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, Code::kInvalidArgument) << info.error().message;
    EXPECT_TRUE(keys(store()).empty());
  }
  {
    auto w = store().begin_write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write(data));
  }
  EXPECT_TRUE(keys(store()).empty());
  auto info = put_blob(store(), data, 100'000, {.sha1 = sha1, .sha512 = sha512});
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(keys(store()), std::vector<std::string>{crypto::sha256_hex(data)});
}

TEST_P(BlobStoreConformance, ConcurrentWritersOfDistinctBlobs) {
  constexpr int kThreads = 4, kPerThread = 8;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> written(kThreads);
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto info = put_blob(store(), pseudo_random_bytes(3000 + i, 1000 + t * 100 + i), 500);
        if (!info) {
          errors[t] = info.error().message;
          return;
        }
        written[t].push_back(info->sha256);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "");
    expected.insert(expected.end(), written[t].begin(), written[t].end());
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(keys(store()), expected);
}

TEST_P(BlobStoreConformance, ConcurrentWritersOfSameContentAllSucceed) {
  constexpr int kThreads = 4;
  const std::string data = pseudo_random_bytes(1 << 20, 5);
  std::vector<std::thread> threads;
  std::vector<std::string> results(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto info = put_blob(store(), data, 16'384 + t);
      results[t] = info ? info->sha256 : "error: " + info.error().message;
    });
  }
  for (auto& th : threads) th.join();
  const std::string key = crypto::sha256_hex(data);
  for (const std::string& r : results) EXPECT_EQ(r, key);
  EXPECT_EQ(keys(store()), std::vector<std::string>{key});
  auto back = read_blob(store(), key, 0, 65'536);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data);
}

}  // namespace
}  // namespace arca::blob::conformance
