#pragma once
// DigestFollower: digests of a file that is still being written, computed on a pool thread by
// reading back what the writer appended (from the page cache). A large blob needs four digests
// (MD5, SHA-1, SHA-256, SHA-512: about 4 ns a byte here, more than receiving and writing it);
// the writer's thread computes some as it writes and a follower the others, so a blob is ready
// after the slower half instead of the sum. Internal to src/blob/fs.
//
// Contract:
//  - The follower continues `hashers`, which have digested bytes [0, from) of the file, and owns
//    a duplicate of its descriptor (so the writer may close or rename the file meanwhile).
//  - appended(total) says the file now holds [0, total). It does not block: once kBatch bytes
//    wait and no task runs, one is posted; a task digests until it has caught up, then ends.
//  - finish() waits for a running task, digests what is left on the calling thread and returns
//    the hex digests in the hashers' order, or the read error.
//  - Destroying the follower abandons it: a running task stops after its current read.
// Thread safety: one writer thread calls appended() and finish(); the task runs on the pool.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/crypto.h"
#include "util/error.h"
#include "util/task_pool.h"

namespace arca::blob::fs {

class DigestFollower {
 public:
  static constexpr uint64_t kBatch = 256 << 10;    // bytes waiting before a task is posted
  static constexpr size_t kReadBytes = 256 << 10;  // one pread

  // `fd` is duplicated, and `hashers` moved from only then; kUnavailable when that fails (the
  // caller still has its hashers).
  static Result<std::unique_ptr<DigestFollower>> start(std::shared_ptr<util::TaskPool> pool, int fd,
                                                       std::string path, uint64_t from,
                                                       std::vector<crypto::Hasher>& hashers);
  ~DigestFollower();
  DigestFollower(const DigestFollower&) = delete;
  DigestFollower& operator=(const DigestFollower&) = delete;

  void appended(uint64_t total);
  Result<std::vector<std::string>> finish();

  struct State;  // shared with the running task (digest_follower.cc)

 private:
  DigestFollower(std::shared_ptr<util::TaskPool> pool, std::shared_ptr<State> state)
      : pool_(std::move(pool)), state_(std::move(state)) {}

  std::shared_ptr<util::TaskPool> pool_;
  std::shared_ptr<State> state_;
};

}  // namespace arca::blob::fs
