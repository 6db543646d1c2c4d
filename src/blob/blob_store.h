#pragma once
// BlobStore: content-addressed storage of artifact bytes, keyed by lowercase hex SHA-256.
//
// Contract:
//  - A blob becomes visible only when BlobWriter::commit() succeeds, after its bytes are durable
//    (fsynced) and its hash verified; a writer destroyed without commit leaves nothing visible.
//  - Writing a blob that already exists is a no-op success (content addressing dedupes).
//  - Memory use does not grow with blob size: writers and readers stream in bounded chunks.
// Thread safety: all methods may be called concurrently; a single BlobWriter/BlobReader is used by
// one thread at a time. Methods block on disk I/O: call them on the blocking pool.
// Errors: kNotFound for missing blobs; kInvalidArgument when commit's expected hash or size does
// not match what was written; kUnavailable for I/O failures (disk full, ...).
// Keys: every method taking a key rejects one that is not 64 lowercase hex characters with
// kInvalidArgument (local_path() returns empty), before touching storage (see blob_key.h).
// Every implementation passes tests/conformance/blob (blob_store_conformance.h).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace arca::blob {

struct BlobInfo {
  std::string sha256;  // lowercase hex; the key
  uint64_t size = 0;
  // Other digests computed while writing (lowercase hex). Empty when not known (stat()).
  std::string md5, sha1, sha512;
};

// What commit() checks before anything is visible. Digests are lowercase hex; the writer computes
// them anyway, so a caller that knows one (an npm integrity, an upstream's published SHA-1)
// passes it here instead of hashing the bytes a second time.
struct CommitExpectations {
  std::optional<std::string> sha256;
  std::optional<uint64_t> size;
  std::optional<std::string> sha1;
  std::optional<std::string> sha512;
};

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // aborts an uncommitted write
  // Appends `chunk`. After a failed write() the writer is spent: later write()/commit() fail with
  // kUnavailable. After commit() (success or failure) they fail with kFailedPrecondition.
  virtual Status write(std::string_view chunk) = 0;
  // Verifies expectations, makes the blob durable and visible, returns its digests.
  // Called at most once. On kInvalidArgument (mismatch) the bytes are discarded, nothing visible.
  // Committing content that already exists succeeds and returns the same digests (dedup).
  virtual Result<BlobInfo> commit(const CommitExpectations& expect = {}) = 0;
  virtual uint64_t bytes_written() const = 0;
  // A new descriptor of the file being written, owned by the caller, from which bytes
  // [0, bytes_written()) can be read (pread, sendfile) while writing goes on, and every byte
  // written after the writer committed, failed or was destroyed: readers of a blob still
  // arriving need no copy of it. -1 when the writer keeps no such file (a remote store), or
  // after commit(); the caller then keeps its own copy.
  virtual int share_file() { return -1; }
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Reads up to `len` bytes into `buf`; returns 0 at the end (may return fewer bytes than asked).
  virtual Result<size_t> read(char* buf, size_t len) = 0;
  // Size of the whole blob, whatever the offset it was opened at.
  virtual uint64_t size() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Result<std::unique_ptr<BlobWriter>> begin_write() = 0;
  virtual Result<BlobInfo> stat(const std::string& sha256) = 0;  // size only; kNotFound
  // Opens for reading from `offset`; kNotFound; kInvalidArgument when offset > size (offset ==
  // size is an empty read).
  virtual Result<std::unique_ptr<BlobReader>> open(const std::string& sha256,
                                                   uint64_t offset = 0) = 0;
  // A local file path holding the blob, when the backend has one (enables sendfile); else empty.
  // Also empty for a missing blob or an invalid key.
  virtual std::optional<std::string> local_path(const std::string& sha256) = 0;
  virtual Status remove(const std::string& sha256) = 0;  // kNotFound
  virtual Result<std::vector<std::string>> list() = 0;   // every committed key, any order
};

}  // namespace arca::blob
