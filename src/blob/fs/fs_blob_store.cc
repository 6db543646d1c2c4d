#include "blob/fs/fs_blob_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "blob/blob_key.h"
#include "blob/fs/digest_follower.h"
#include "blob/fs/layout.h"
#include "blob/fs/posix_file.h"
#include "blob/fs/temp_pool.h"
#include "util/crypto.h"
#include "util/task_pool.h"

namespace arca::blob {

// The shard directories (layout.h) that exist durably: made by a commit and fsynced into
// ROOT/sha256, or found there. A commit into a known shard makes no directory.
struct KnownShards {
  bool known(const std::string& key) const {
    return dirs[layout::shard_index(key)].load(std::memory_order_acquire);
  }
  void set(const std::string& key, bool known) {
    dirs[layout::shard_index(key)].store(known, std::memory_order_release);
  }
  std::array<std::atomic<bool>, 256> dirs{};
};

// Keys whose blob file local_path() found in place, so that later calls need no stat(2): blobs
// are immutable and only remove() takes them away. A remove() bumps the generation, so a
// local_path() that stat'ed before it does not record the key after it. Bounded: emptied when
// full.
struct KnownBlobs {
  static constexpr size_t kMax = 16384;
  std::mutex mu;
  std::unordered_set<std::string> keys;  // guarded by mu
  uint64_t generation = 0;               // guarded by mu
};

namespace {

using fs::create_locked_temp;
using fs::DigestFollower;
using fs::errno_error;
using fs::UniqueFd;

constexpr mode_t kBlobMode = 0440;  // immutable content; group read for backup operators

Error blob_not_found(const std::string& key) {
  return not_found("Blob", key, "blob " + key + " not found");
}

class FsBlobWriter final : public BlobWriter {
 public:
  // Bytes hashed on the writing thread alone: a follower costs a task and a read-back.
  static constexpr uint64_t kFollowFrom = 256 << 10;
  // Write-out of the file is started every this many bytes (start_writeback).
  static constexpr uint64_t kWritebackBytes = 1 << 20;

  FsBlobWriter(std::string root, std::shared_ptr<KnownShards> shards,
               std::shared_ptr<util::TaskPool> pool, UniqueFd fd, std::string tmp_path)
      : root_(std::move(root)),
        shards_(std::move(shards)),
        fd_(std::move(fd)),
        tmp_path_(std::move(tmp_path)),
        pool_(std::move(pool)) {}
  ~FsBlobWriter() override { discard(); }

  Status write(std::string_view chunk) override {
    ARCA_TRY(check_open());
    if (auto st = fs::write_all(fd_.get(), chunk, tmp_path_); !st) {
      state_ = State::kFailed;
      return st;
    }
    sha256_.update(chunk);
    sha1_.update(chunk);
    if (!follower_ && bytes_ + chunk.size() >= kFollowFrom) {
      // Without a follower (no descriptor to spare), the digests go on here.
      if (auto f = DigestFollower::start(pool_, fd_.get(), tmp_path_, bytes_, followed_))
        follower_ = std::move(*f);
    }
    if (!follower_) {
      for (auto& h : followed_) h.update(chunk);
    }
    bytes_ += chunk.size();
    if (follower_) follower_->appended(bytes_);
    start_writeback();
    return {};
  }

  Result<BlobInfo> commit(const CommitExpectations& expect) override {
    ARCA_TRY(check_open());
    BlobInfo info;
    info.size = bytes_;
    std::vector<std::string> followed;
    if (follower_) {
      auto got = follower_->finish();
      if (!got) {
        state_ = State::kFailed;
        return got.error();
      }
      followed = std::move(*got);
    } else {
      for (auto& h : followed_) followed.push_back(h.finish_hex());
    }
    info.md5 = followed[0];
    info.sha512 = followed[1];
    info.sha256 = sha256_.finish_hex();
    info.sha1 = sha1_.finish_hex();
    state_ = State::kDone;  // hashers are finished: whatever happens next, the writer is spent
    if (auto st = verify(info, expect); !st) {
      discard();
      return st.error();
    }
    if (auto st = publish(info.sha256); !st) {
      discard();
      return st.error();
    }
    return info;
  }

  uint64_t bytes_written() const override { return bytes_; }

  // The same open file: it follows the rename into place, and an unlinked temp file lives on
  // until the last descriptor closes. (The duplicate shares the flock too, which matters only
  // for files still in ROOT/tmp: one that is kept open is not stale.)
  int share_file() override {
    if (state_ == State::kDone || !fd_.valid()) return -1;
    return ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
  }

 private:
  enum class State { kOpen, kFailed, kDone };

  Status check_open() const {
    if (state_ == State::kFailed) return unavailable("an earlier write to this blob failed");
    if (state_ == State::kDone) return failed_precondition("blob writer already committed");
    return {};
  }

  static Status verify(const BlobInfo& info, const CommitExpectations& expect) {
    if (expect.size && *expect.size != info.size) {
      return invalid_argument("blob size mismatch: expected " + std::to_string(*expect.size) +
                              " bytes, received " + std::to_string(info.size));
    }
    const std::pair<const std::optional<std::string>*, const std::string*> digests[] = {
        {&expect.sha256, &info.sha256}, {&expect.sha1, &info.sha1}, {&expect.sha512, &info.sha512}};
    const char* names[] = {"sha256", "sha1", "sha512"};
    for (size_t i = 0; i < 3; ++i) {
      auto [want, got] = digests[i];
      if (*want && **want != *got)
        return invalid_argument(std::string("blob ") + names[i] + " mismatch: expected " +
                                (*want)->substr(0, 130) + ", received " + *got);
    }
    return {};
  }

  // Durable file, then atomic visibility, then durable directory entry.
  Status publish(const std::string& key) {
    if (::fsync(fd_.get()) != 0) return errno_error("fsync", tmp_path_, errno);
    if (::fchmod(fd_.get(), kBlobMode) != 0) return errno_error("fchmod", tmp_path_, errno);
    ARCA_TRY(fd_.close());
    const std::string shard = layout::shard_dir(root_, key);
    bool created = false;
    const bool known = shards_->known(key);
    if (!known) ARCA_TRY(fs::ensure_dir(shard, created));
    int rename_errno = 0;
    Status placed = place(layout::blob_path(root_, key), rename_errno);
    if (!placed && known && rename_errno == ENOENT) {  // a known shard was removed: make it again
      shards_->set(key, false);
      ARCA_TRY(fs::ensure_dir(shard, created));
      placed = place(layout::blob_path(root_, key), rename_errno);
    }
    ARCA_TRY(placed);
    // After this point the blob is visible; an error below means "maybe not durable yet".
    ARCA_TRY(fs::fsync_dir(shard));
    if (created) ARCA_TRY(fs::fsync_dir(root_ + "/sha256"));
    shards_->set(key, true);
    return {};
  }

  // Renames the temp file to `target` unless a whole blob is already there (dedup). A file of the
  // wrong size under the key (damaged) is replaced. `rename_errno` is the first rename's errno.
  Status place(const std::string& target, int& rename_errno) {
    rename_errno = 0;
    if (::renameat2(AT_FDCWD, tmp_path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      tmp_path_.clear();
      return {};
    }
    int err = errno;
    rename_errno = err;
    struct stat st;
    if (err == EEXIST && ::lstat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) == bytes_) {
      discard();  // dedup: the blob is already there, drop the temp file
      return {};
    }
    if (err != EEXIST && err != EINVAL && err != ENOSYS) {
      return errno_error("rename to", target, err);
    }
    // Filesystem without RENAME_NOREPLACE, or a damaged blob: replacing it with identical
    // verified content is safe.
    if (::rename(tmp_path_.c_str(), target.c_str()) != 0) {
      return errno_error("rename to", target, errno);
    }
    tmp_path_.clear();
    return {};
  }

  static std::vector<crypto::Hasher> md5_and_sha512() {
    std::vector<crypto::Hasher> h;
    h.emplace_back(crypto::Algo::kMd5);
    h.emplace_back(crypto::Algo::kSha512);
    return h;
  }

  // Starts the write-out of what was written since the last start once kWritebackBytes wait, so
  // that the disk writes while bytes still arrive and commit's fsync waits for the tail only.
  // Errors are left to that fsync.
  void start_writeback() {
    if (bytes_ - written_back_ < kWritebackBytes) return;
    ::sync_file_range(fd_.get(), static_cast<off_t>(written_back_),
                      static_cast<off_t>(bytes_ - written_back_), SYNC_FILE_RANGE_WRITE);
    written_back_ = bytes_;
  }

  void discard() {
    follower_.reset();
    fd_.reset();
    if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
  }

  const std::string root_;
  const std::shared_ptr<KnownShards> shards_;
  UniqueFd fd_;
  std::string tmp_path_;                        // empty once renamed into place or removed
  const std::shared_ptr<util::TaskPool> pool_;  // the store's digest threads, for the follower
  // SHA-256 and SHA-1 are computed as bytes are written; MD5 and SHA-512 too until kFollowFrom
  // bytes, then by the follower. The split balances the two threads: MD5 and SHA-512 cost about
  // 2.9 ns a byte here, SHA-256 and SHA-1 1.2 plus the writing thread's receiving and writing.
  crypto::Hasher sha256_{crypto::Algo::kSha256};
  crypto::Hasher sha1_{crypto::Algo::kSha1};
  std::vector<crypto::Hasher> followed_ = md5_and_sha512();
  std::unique_ptr<DigestFollower> follower_;
  uint64_t bytes_ = 0;
  uint64_t written_back_ = 0;  // bytes whose write-out start_writeback() has started
  State state_ = State::kOpen;
};

class FsBlobReader final : public BlobReader {
 public:
  FsBlobReader(UniqueFd fd, uint64_t size, uint64_t offset, std::string path)
      : fd_(std::move(fd)), size_(size), pos_(offset), path_(std::move(path)) {}

  Result<size_t> read(char* buf, size_t len) override {
    if (pos_ >= size_ || len == 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<uint64_t>(len, size_ - pos_));
    for (;;) {
      ssize_t n = ::pread(fd_.get(), buf, want, static_cast<off_t>(pos_));
      if (n >= 0) {
        pos_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) return errno_error("read", path_, errno);
    }
  }

  uint64_t size() const override { return size_; }

 private:
  UniqueFd fd_;
  const uint64_t size_;
  uint64_t pos_;
  const std::string path_;
};

}  // namespace

Result<std::unique_ptr<FsBlobStore>> FsBlobStore::open(const std::string& root_dir) {
  if (root_dir.empty()) return invalid_argument("blob store root directory is empty");
  std::error_code ec;
  std::filesystem::path root = std::filesystem::absolute(root_dir, ec).lexically_normal();
  if (ec) return unavailable("blob store root " + root_dir + ": " + ec.message());
  std::string root_str = root.string();
  while (root_str.size() > 1 && root_str.back() == '/') root_str.pop_back();
  std::filesystem::create_directories(root, ec);
  if (ec) return unavailable("create blob store root " + root_str + ": " + ec.message());

  std::unique_ptr<FsBlobStore> store(new FsBlobStore(root_str));
  bool created = false;
  ARCA_TRY(layout::prepare(root_str));
  ARCA_TRY(fs::ensure_dir(store->tmp_dir(), created));
  ARCA_TRY(store->remove_stale_temps());
  return store;
}

Status FsBlobStore::remove_stale_temps() {
  ARCA_ASSIGN_OR_RETURN(std::vector<std::string> names, layout::list_dir(tmp_dir()));
  for (const std::string& name : names) {
    std::string path = tmp_dir() + "/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) continue;  // gone already, or a symlink/special entry we leave alone
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a live writer holds it
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return errno_error("remove stale temp file", path, errno);
    }
  }
  return {};
}

FsBlobStore::FsBlobStore(std::string root)
    : root_(std::move(root)),
      shards_(std::make_shared<KnownShards>()),
      blobs_(std::make_unique<KnownBlobs>()),
      digests_(std::make_shared<util::TaskPool>(
          "blob-digests", std::max(1u, std::thread::hardware_concurrency()))) {}

FsBlobStore::~FsBlobStore() = default;

std::string FsBlobStore::blob_path(const std::string& sha256) const {
  return layout::blob_path(root_, sha256);
}

void FsBlobStore::set_prefetched_temps(size_t n) {
  temps_ = n > 0 ? std::make_unique<fs::TempPool>(tmp_dir(), n) : nullptr;
}

Result<std::unique_ptr<BlobWriter>> FsBlobStore::begin_write() {
  std::optional<fs::Temp> pooled;
  if (temps_) pooled = temps_->take();
  ARCA_ASSIGN_OR_RETURN(
      auto temp, pooled ? Result<fs::Temp>(std::move(*pooled)) : create_locked_temp(tmp_dir()));
  const std::string tmp_path = temp.second;
  try {
    return std::unique_ptr<BlobWriter>(
        new FsBlobWriter(root_, shards_, digests_, std::move(temp.first), std::move(temp.second)));
  } catch (const std::exception& e) {  // Hasher throws if OpenSSL cannot set up a digest
    ::unlink(tmp_path.c_str());
    return internal_error(std::string("blob writer: ") + e.what());
  }
}

Result<BlobInfo> FsBlobStore::stat(const std::string& sha256) {
  ARCA_TRY(check_blob_key(sha256));
  std::string path = blob_path(sha256);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return blob_not_found(sha256);
    return errno_error("stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) return unavailable("blob path is not a regular file: " + path);
  BlobInfo info;
  info.sha256 = sha256;
  info.size = static_cast<uint64_t>(st.st_size);
  return info;
}

Result<std::unique_ptr<BlobReader>> FsBlobStore::open(const std::string& sha256, uint64_t offset) {
  ARCA_TRY(check_blob_key(sha256));
  std::string path = blob_path(sha256);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return blob_not_found(sha256);
    return errno_error("open", path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return errno_error("fstat", path, errno);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size) {
    return invalid_argument("read offset " + std::to_string(offset) + " is past the end of blob " +
                            sha256 + " (" + std::to_string(size) + " bytes)");
  }
  return std::unique_ptr<BlobReader>(new FsBlobReader(std::move(fd), size, offset, path));
}

std::optional<std::string> FsBlobStore::local_path(const std::string& sha256) {
  if (!is_valid_blob_key(sha256)) return std::nullopt;
  uint64_t generation = 0;
  {
    std::lock_guard lock(blobs_->mu);
    if (blobs_->keys.count(sha256)) return blob_path(sha256);
    generation = blobs_->generation;
  }
  std::string path = blob_path(sha256);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::lock_guard lock(blobs_->mu);
  if (blobs_->generation == generation) {
    if (blobs_->keys.size() >= KnownBlobs::kMax) blobs_->keys.clear();
    blobs_->keys.insert(sha256);
  }
  return path;
}

Status FsBlobStore::remove(const std::string& sha256) {
  ARCA_TRY(check_blob_key(sha256));
  {
    std::lock_guard lock(blobs_->mu);
    blobs_->keys.erase(sha256);
    ++blobs_->generation;
  }
  std::string path = blob_path(sha256);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return blob_not_found(sha256);
    return errno_error("unlink", path, errno);
  }
  // Shard directories stay: removing them would race a concurrent commit into the same shard.
  return fs::fsync_dir(layout::shard_dir(root_, sha256));
}

Result<std::vector<std::string>> FsBlobStore::list() { return layout::list(root_); }

}  // namespace arca::blob
