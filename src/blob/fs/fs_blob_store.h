#pragma once
// FsBlobStore: the BlobStore on a local filesystem (the embedded default).
//
// Layout under the root directory (layout.h):
//   ROOT/sha256/ab/abcd...       one read-only file per blob (mode 0440), in one of 256 shard
//                                directories by the first two hex digits of the key
//   ROOT/layout                  which layout this is (an older two-level tree is moved at open)
//   ROOT/tmp/w-<random>          writers' temp files; same filesystem, so rename() is atomic
//
// A writer streams into an O_EXCL temp file (mode 0600) while computing MD5, SHA-1, SHA-256 and
// SHA-512 in the same pass; past its first 256 KiB, MD5 and SHA-512 are computed on one of the
// store's digest threads (as many as cores) from what the writer wrote (DigestFollower), and the
// file's write-out is started every MiB, so that a large blob is committed soon after its last
// byte arrives. commit() verifies the expectations, fsyncs the file, renames it into
// place without replacing an existing blob (dedup) and fsyncs the shard directory (and
// ROOT/sha256 when it made the shard). Shards the store made or found are remembered, so a commit
// into one makes no directory. Shard directories are never removed, so a commit cannot race a
// cleanup; if one vanishes anyway (a rename fails with ENOENT), the commit makes it again.
//
// Each writer holds an exclusive flock() on its temp file. open() removes temp files nobody holds
// (left by a crash), so several stores, in one process or several, may share a root.
//
// Thread safety: as BlobStore; the only mutable state is the set of known shards (atomics) and
// the set of blobs local_path() found in place (a mutex).
// Errors: as BlobStore, plus kInvalidArgument for a key that is not 64 lowercase hex characters
// and for a read offset past the end; kUnavailable for any failing system call.
#include <memory>
#include <string>

#include "blob/blob_store.h"

namespace arca::util {
class TaskPool;
}
namespace arca::blob::fs {
class TempPool;  // temp_pool.h
}

namespace arca::blob {

struct KnownShards;  // fs_blob_store.cc
struct KnownBlobs;   // fs_blob_store.cc

class FsBlobStore final : public BlobStore {
 public:
  // Creates the layout under `root_dir` if needed and removes stale temp files.
  // kUnavailable when the directories cannot be created or read.
  // Beware: this factory shares its name with the blob open(key, offset), which therefore has no
  // default offset here (it would make this call ambiguous). Through an FsBlobStore pointer,
  // open(key) calls this factory: read blobs through BlobStore& or spell the offset.
  static Result<std::unique_ptr<FsBlobStore>> open(const std::string& root_dir);
  ~FsBlobStore() override;

  // Keeps up to `n` temp files created ahead of need by a helper thread (started by the first
  // begin_write), so that a write does not wait for the filesystem to allocate an inode: on
  // ext4 without a journal that allocation scans for recently deleted inodes and was a quarter of
  // a publish's CPU. Pooled files are locked like any writer's temp file and removed when the
  // store is destroyed (or, after a crash, by the next open()). 0 (the default) disables it.
  // Call before the store is shared.
  void set_prefetched_temps(size_t n);

  Result<std::unique_ptr<BlobWriter>> begin_write() override;
  Result<BlobInfo> stat(const std::string& sha256) override;
  Result<std::unique_ptr<BlobReader>> open(const std::string& sha256, uint64_t offset) override;
  // The final path when the blob exists; empty for an invalid key or a missing blob. A blob this
  // store has already found in place is answered from memory (no stat), until remove() takes it:
  // a blob removed by another process on the same root may still be named here.
  std::optional<std::string> local_path(const std::string& sha256) override;
  Status remove(const std::string& sha256) override;
  Result<std::vector<std::string>> list() override;

  const std::string& root() const { return root_; }
  // Where the blob with this (valid) key lives or would live; no filesystem access.
  std::string blob_path(const std::string& sha256) const;
  std::string tmp_dir() const { return root_ + "/tmp"; }

 private:
  explicit FsBlobStore(std::string root);
  Status remove_stale_temps();

  const std::string root_;
  // Shards known to exist durably; shared with writers, which may outlive the store.
  std::shared_ptr<KnownShards> shards_;
  std::unique_ptr<KnownBlobs> blobs_;    // keys local_path() found in place
  std::unique_ptr<fs::TempPool> temps_;  // set_prefetched_temps()
  // Threads digesting large blobs behind their writers; shared with writers.
  std::shared_ptr<util::TaskPool> digests_;
};

}  // namespace arca::blob
