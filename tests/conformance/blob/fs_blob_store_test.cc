#include "blob/fs/fs_blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "blob/fault_injecting_blob_store.h"
#include "conformance/blob/blob_store_conformance.h"
#include "util/crypto.h"

namespace arca::blob::conformance {
namespace {

std::unique_ptr<BlobStore> make_fs_store(const std::string& tempdir) {
  auto store = FsBlobStore::open(tempdir + "/blobs");
  if (!store) ADD_FAILURE() << store.error().message;
  return store ? std::move(*store) : nullptr;
}

std::unique_ptr<BlobStore> make_wrapped_fs_store(const std::string& tempdir) {
  auto inner = make_fs_store(tempdir);
  if (!inner) return nullptr;
  return std::make_unique<FaultInjectingBlobStore>(std::move(inner));
}

}  // namespace

ARCA_INSTANTIATE_BLOB_STORE_CONFORMANCE(
    Fs, ::testing::Values(NamedBlobStoreFactory{"Fs", make_fs_store},
                          NamedBlobStoreFactory{"FaultInjectingNoFaults", make_wrapped_fs_store}));

namespace {

namespace stdfs = std::filesystem;

constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

size_t count_entries(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = stdfs::directory_iterator(dir, ec); !ec && it != stdfs::directory_iterator();
       it.increment(ec)) {
    ++n;
  }
  return n;
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

void touch(const std::string& path, std::string_view content = "x") {
  std::ofstream(path, std::ios::binary) << content;
}

class FsBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    auto s = FsBlobStore::open(root_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  BlobStore& store() { return *store_; }
  size_t temp_count() { return count_entries(store_->tmp_dir()); }

  TempDir dir_;
  const std::string root_ = dir_.path() + "/data/blobs";
  std::unique_ptr<FsBlobStore> store_;
};

TEST_F(FsBlobStoreTest, OpenCreatesLayoutWithAbsoluteRoot) {
  EXPECT_TRUE(stdfs::is_directory(root_ + "/sha256"));
  EXPECT_TRUE(stdfs::is_directory(root_ + "/tmp"));
  EXPECT_EQ(store_->root(), stdfs::path(root_).lexically_normal().string());
  auto trailing = FsBlobStore::open(root_ + "//");
  ASSERT_TRUE(trailing) << trailing.error().message;
  EXPECT_EQ((*trailing)->root(), store_->root());
  std::string cwd = stdfs::current_path().string();
  stdfs::current_path(dir_.path());
  auto relative = FsBlobStore::open("data/blobs");
  stdfs::current_path(cwd);
  ASSERT_TRUE(relative) << relative.error().message;
  EXPECT_EQ((*relative)->root(), store_->root());
}

TEST_F(FsBlobStoreTest, OpenFailsOnAFileOrEmptyPath) {
  touch(dir_.path() + "/plain");
  auto on_file = FsBlobStore::open(dir_.path() + "/plain");
  ASSERT_FALSE(on_file);
  EXPECT_EQ(on_file.error().code, Code::kUnavailable) << on_file.error().message;
  auto empty = FsBlobStore::open("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Code::kInvalidArgument);
}

TEST_F(FsBlobStoreTest, BlobLivesInItsShard) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  const std::string expected = store_->root() + "/sha256/ba/" + kAbcSha256;
  EXPECT_EQ(store_->blob_path(kAbcSha256), expected);
  EXPECT_EQ(store().local_path(kAbcSha256), expected);
  std::ifstream in(expected, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "abc");
  EXPECT_EQ(temp_count(), 0u);
}

TEST_F(FsBlobStoreTest, FilePermissions) {
  auto w = store().begin_write();
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("abc"));
  ASSERT_EQ(temp_count(), 1u);
  for (const auto& e : stdfs::directory_iterator(store_->tmp_dir())) {
    EXPECT_EQ(mode_of(e.path().string()), 0600u) << "temp files are private while written";
  }
  ASSERT_TRUE((*w)->commit());
  EXPECT_EQ(mode_of(store_->blob_path(kAbcSha256)), 0440u) << "blobs are read-only";
  for (const std::string& d :
       {store_->root() + "/sha256", store_->root() + "/sha256/ba", store_->tmp_dir()}) {
    EXPECT_EQ(mode_of(d) & 0007u, 0u) << d << " must not be accessible to others";
  }
}

TEST_F(FsBlobStoreTest, OpenRemovesStaleTempFiles) {
  touch(store_->tmp_dir() + "/w-0123456789abcdef0123456789abcdef", "half a blob");
  touch(store_->tmp_dir() + "/leftover");
  ASSERT_EQ(temp_count(), 2u);
  reopen();
  EXPECT_EQ(temp_count(), 0u);
  EXPECT_TRUE(store().list()->empty());
}

TEST_F(FsBlobStoreTest, OpenKeepsTempFilesOfLiveWriters) {
  auto w = store().begin_write();
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("ab"));
  auto second = FsBlobStore::open(root_);  // e.g. an admin command beside the server
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(temp_count(), 1u);
  ASSERT_TRUE((*w)->write("c"));
  auto info = (*w)->commit({.sha256 = std::string(kAbcSha256)});
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE((*second)->stat(kAbcSha256));
}

// A process that dies mid-write (no destructors run) leaves its temp file; the next open()
// removes it because no live writer holds its lock any more.
TEST_F(FsBlobStoreTest, CrashedWriterProcessTempIsRemovedOnNextOpen) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto w = store_->begin_write();
    if (!w || !(*w)->write(pseudo_random_bytes(100'000, 9))) _exit(1);
    _exit(0);  // crash: skip the writer's destructor
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(temp_count(), 1u);
  EXPECT_TRUE(store().list()->empty());
  reopen();
  EXPECT_EQ(temp_count(), 0u);
}

TEST_F(FsBlobStoreTest, NoTempLeftAfterMismatchOrAbandon) {
  EXPECT_FALSE(put_blob(store(), "abc", 1, {.size = 2}));
  EXPECT_EQ(temp_count(), 0u) << "a rejected commit removes its temp file at once";
  {
    auto w = store().begin_write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write("abc"));
    EXPECT_EQ(temp_count(), 1u);
  }
  EXPECT_EQ(temp_count(), 0u);
  EXPECT_EQ(count_entries(store_->root() + "/sha256"), 0u);
}

TEST_F(FsBlobStoreTest, InjectedWriteFailureLeavesNoFile) {
  FaultInjectingBlobStore faulty(store());
  faulty.set_faults({.fail_write_after_bytes = 5000});
  {
    auto w = faulty.begin_write();
    ASSERT_TRUE(w);
    EXPECT_FALSE((*w)->write(pseudo_random_bytes(8000, 1)));
    EXPECT_EQ(temp_count(), 1u);
    EXPECT_EQ(stdfs::file_size(stdfs::directory_iterator(store_->tmp_dir())->path()), 5000u);
  }
  EXPECT_EQ(temp_count(), 0u);
  EXPECT_TRUE(store().list()->empty());
}

TEST_F(FsBlobStoreTest, InjectedCommitFailureLeavesNoFile) {
  FaultInjectingBlobStore faulty(store());
  faulty.set_faults({.fail_commit = true});
  {
    auto w = faulty.begin_write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write("abc"));
    EXPECT_FALSE((*w)->commit());
    EXPECT_ERROR_CODE(store().stat(kAbcSha256), Code::kNotFound);
  }
  EXPECT_EQ(temp_count(), 0u);
  EXPECT_FALSE(stdfs::exists(store_->blob_path(kAbcSha256)));
  EXPECT_TRUE(store().list()->empty());
}

TEST_F(FsBlobStoreTest, DedupKeepsTheFirstFile) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  struct stat before, after;
  ASSERT_EQ(::stat(store_->blob_path(kAbcSha256).c_str(), &before), 0);
  ASSERT_TRUE(put_blob(store(), "abc"));
  ASSERT_EQ(::stat(store_->blob_path(kAbcSha256).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(temp_count(), 0u);
  EXPECT_EQ(count_entries(store_->root() + "/sha256/ba"), 1u);
}

TEST_F(FsBlobStoreTest, DamagedBlobIsReplacedByAVerifiedCommit) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  const std::string path = store_->blob_path(kAbcSha256);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_EQ(::truncate(path.c_str(), 1), 0);
  ASSERT_TRUE(put_blob(store(), "abc"));
  auto back = read_blob(store(), kAbcSha256);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "abc");
}

TEST_F(FsBlobStoreTest, ListIgnoresStrayEntries) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  const std::string base = store_->root() + "/sha256";
  stdfs::create_directories(base + "/zz/zz");
  stdfs::remove(base + "/fe");
  touch(base + "/fe");  // a file where a shard dir would be
  touch(base + "/ba/" + std::string(kAbcSha256) + ".swp");
  touch(base + "/ba/" + std::string(64, 'b'));  // valid key, wrong shard
  stdfs::create_directories(base + "/ba/78");
  touch(base + "/ba/78/" + std::string(64, 'c'));  // not at a blob's place
  touch(base + "/ba/x1");
  auto keys = store().list();
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(*keys, std::vector<std::string>{kAbcSha256});
}

TEST_F(FsBlobStoreTest, TraversalKeyNeverReachesTheFilesystem) {
  const std::string victim = dir_.path() + "/victim";
  touch(victim);
  std::string key = "../../../victim";
  key.resize(64, '/');
  EXPECT_ERROR_CODE(store().remove(key), Code::kInvalidArgument);
  EXPECT_TRUE(stdfs::exists(victim));
}

TEST_F(FsBlobStoreTest, ReaderOutlivesRemoveAndWriterOutlivesStore) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  auto r = store().open(kAbcSha256, 1);
  ASSERT_TRUE(r);
  ASSERT_TRUE(store().remove(kAbcSha256));
  char buf[8];
  auto n = (*r)->read(buf, sizeof buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf, *n), "bc");

  auto w = store().begin_write();
  ASSERT_TRUE(w);
  store_.reset();
  ASSERT_TRUE((*w)->write("abc"));
  ASSERT_TRUE((*w)->commit());
  reopen();
  EXPECT_TRUE(store().stat(kAbcSha256));
}

TEST_F(FsBlobStoreTest, OneShardLevelAndALayoutRecord) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  ASSERT_TRUE(put_blob(store(), "abd"));
  std::vector<std::string> shards;
  for (const auto& e : stdfs::directory_iterator(store_->root() + "/sha256")) {
    EXPECT_TRUE(e.is_directory()) << e.path();
    shards.push_back(e.path().filename().string());
    for (const auto& f : stdfs::directory_iterator(e.path())) EXPECT_TRUE(f.is_regular_file());
  }
  std::sort(shards.begin(), shards.end());
  const std::string abd = crypto::digest_hex(crypto::Algo::kSha256, "abd");
  std::vector<std::string> want{"ba", abd.substr(0, 2)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(shards, want);
  EXPECT_TRUE(stdfs::is_regular_file(store_->root() + "/layout"));
}

TEST_F(FsBlobStoreTest, AShardThatVanishedIsMadeAgain) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  ASSERT_TRUE(store().remove(kAbcSha256));
  stdfs::remove_all(store_->root() + "/sha256/ba");  // shards are never removed, except by hand
  ASSERT_TRUE(put_blob(store(), "abc"));
  EXPECT_TRUE(store().stat(kAbcSha256));
  EXPECT_TRUE(stdfs::is_regular_file(store_->blob_path(kAbcSha256)));
  EXPECT_EQ(mode_of(store_->root() + "/sha256/ba") & 0007u, 0u);
  EXPECT_EQ(temp_count(), 0u);
}

// A store written by the two-level layout (ROOT/sha256/ab/cd/<key>, no ROOT/layout) is moved into
// shards at open; a blob present in both places (a move cut short) is kept once.
TEST_F(FsBlobStoreTest, OpenMovesATwoLevelTreeIntoShards) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  ASSERT_TRUE(put_blob(store(), "hello"));
  const std::string base = store_->root() + "/sha256";
  const std::string hello = crypto::digest_hex(crypto::Algo::kSha256, "hello");
  store_.reset();
  for (const std::string& key : {std::string(kAbcSha256), hello}) {
    const std::string old_dir = base + "/" + key.substr(0, 2) + "/" + key.substr(2, 2);
    stdfs::create_directories(old_dir);
    stdfs::rename(base + "/" + key.substr(0, 2) + "/" + key, old_dir + "/" + key);
  }
  stdfs::copy_file(base + "/ba/78/" + kAbcSha256, base + "/ba/" + kAbcSha256);  // in both places
  touch(base + "/2c/f2/notes.txt");  // a stray keeps its directory
  stdfs::remove(root_ + "/layout");
  reopen();
  auto keys = store().list();
  ASSERT_TRUE(keys) << keys.error().message;
  std::vector<std::string> want{kAbcSha256, hello};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*keys, want);
  EXPECT_FALSE(stdfs::exists(base + "/ba/78"));
  EXPECT_TRUE(stdfs::exists(base + "/2c/f2/notes.txt"));
  EXPECT_FALSE(stdfs::exists(base + "/2c/f2/" + hello));
  for (auto [key, content] : {std::pair{hello, "hello"}, std::pair{std::string(kAbcSha256), "abc"}}) {
    auto back = read_blob(store(), key);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, content);
  }
  EXPECT_TRUE(stdfs::is_regular_file(root_ + "/layout"));
}

TEST_F(FsBlobStoreTest, LocalPathRemembersBlobsUntilRemoved) {
  ASSERT_TRUE(put_blob(store(), "abc"));
  const std::string path = store_->blob_path(kAbcSha256);
  EXPECT_EQ(store().local_path(kAbcSha256), path);
  EXPECT_EQ(store().local_path(kAbcSha256), path);  // from memory now
  ASSERT_TRUE(store().remove(kAbcSha256));
  EXPECT_FALSE(store().local_path(kAbcSha256));
  ASSERT_TRUE(put_blob(store(), "abc"));
  EXPECT_EQ(store().local_path(kAbcSha256), path);
}

TEST_F(FsBlobStoreTest, PrefetchedTempFilesAreUsedKeptAndRemovedWithTheStore) {
  store_->set_prefetched_temps(2);
  ASSERT_TRUE(put_blob(store(), "abc"));  // starts the helper
  for (int i = 0; i < 200 && temp_count() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(temp_count(), 2u);
  for (const auto& e : stdfs::directory_iterator(store_->tmp_dir()))
    EXPECT_EQ(mode_of(e.path().string()), 0600u);
  // Locked like a live writer's temp file: another store's open() leaves them alone.
  {
    auto other = FsBlobStore::open(root_);
    ASSERT_TRUE(other);
  }
  EXPECT_EQ(temp_count(), 2u);
  auto w = store().begin_write();  // takes a prepared file
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("def"));
  ASSERT_TRUE((*w)->commit());
  EXPECT_TRUE(store().stat(crypto::sha256_hex("def")));
  store_.reset();
  EXPECT_EQ(count_entries(root_ + "/tmp"), 0u);
}

}  // namespace
}  // namespace arca::blob::conformance
