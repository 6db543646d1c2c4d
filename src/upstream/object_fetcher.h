#pragma once
// The object side of the pull-through cache: one artifact (an npm tarball, a wheel, a jar) fetched
// through an external connection, verified, and committed to the blob store, while every client
// that asked for it is fed from the same transfer as it arrives (reference §5.3).
//
// Contract:
//  - Single flight: concurrent fetch() calls with one key share one Transfer and one upstream
//    GET, whichever party (the pull-through cache: calling repository) each is for: a caller of
//    another party joins by adding its hooks, and every party's commit hook has run before any
//    reader gets the last byte. The first party's hook failing fails the transfer; a joining
//    party's is logged, and the transfer goes on for everyone. The transfer runs on a worker thread
//    of its own and completes even when every reader went away. Workers are reused: a finished
//    worker waits kIdleSeconds for the next transfer before it exits (a new thread and its first
//    OpenSSL and allocator set-up cost a miss ~0.3 ms), and a new one is started only when none is
//    idle, so a long transfer never delays another. A completed transfer stays joinable for
//    kRecentSeconds, so a request that looked for the stored version just before the commit hook
//    recorded it is still fed from it instead of fetching again (by the parties whose hooks ran:
//    another one gets a transfer of its own, as does a party that comes once the hooks have run).
//  - Bytes go to the blob store as they arrive (memory does not grow with the size), and readers
//    read the file being written as it grows (BlobWriter::share_file), blocking or called back
//    (an I/O thread sends it with sendfile without holding a thread). A store whose writer keeps
//    no local file gets a copy in an unnamed temporary file, the spool, which readers read instead.
//  - Nothing unverified is stored: the expected digests (at least one of sha512/sha1/sha256) and
//    the announced length are checked before the blob is committed; then the commit hook runs
//    (it records the version in the metadata store). Only after both succeed may readers read the
//    last byte, so a reader never receives a complete body that failed verification: a failed
//    transfer makes read() fail and the reader aborts its response.
// Thread safety: everything may be called concurrently.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "blob/blob_store.h"
#include "upstream/cache_metrics.h"
#include "upstream/connections.h"

namespace arca::upstream {

struct ObjectRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string sha512, sha1, sha256;  // expected digests, lowercase hex; empty = not checked
  uint64_t max_bytes = 0;            // 0 = unlimited
};

// Runs after the blob is committed, before readers may finish; an error fails the transfer.
using CommitHook = std::function<Status(const blob::BlobInfo&)>;
// Runs on the transfer's thread after a successful transfer released its readers: for work that
// must not delay the last byte (warming caches).
using FinishedHook = std::function<void()>;

// One transfer, as its readers see it. Readers either block (wait_*) or register a callback
// that is called once, from any thread, possibly before the registering call returns.
class Transfer {
 public:
  ~Transfer();
  // Blocks until the upstream answered 200 or the transfer failed; see started().
  Result<std::optional<uint64_t>> wait_started();
  // Calls `ready` once the upstream answered 200 or the transfer failed.
  void when_started(std::function<void()> ready);
  // After that: the announced length, if any, or why the transfer failed: kNotFound for an
  // upstream 404, kUnavailable (or the commit hook's error) otherwise.
  Result<std::optional<uint64_t>> started();

  // What may be sent now: bytes [0, readable) of the file `fd` (valid while the Transfer
  // lives). The last byte is withheld until the content is verified and committed; `complete`
  // then says readable is the whole body. A failure means the reader must abort what it sends.
  struct Progress {
    int fd = -1;
    uint64_t readable = 0;
    bool complete = false;
    std::optional<Error> error;
  };
  Progress progress();
  // Calls `wake` once progress() shows more than `seen` readable bytes, completion or failure.
  void when_more(uint64_t seen, std::function<void()> wake);

  // Blocks until the transfer ends: the committed blob or the failure.
  Result<blob::BlobInfo> wait_finished();

 private:
  friend class ObjectFetcher;
  enum class State { kRunning, kDone, kFailed };
  using Callbacks = std::vector<std::function<void()>>;
  void mark_started(std::optional<uint64_t> length);
  void set_file(int fd);
  void appended(uint64_t bytes);
  void finish(Result<blob::BlobInfo> outcome);
  bool aborted() const { return abort_.load(); }
  uint64_t readable() const;  // mu_ held
  Callbacks due_readers();    // mu_ held: the when_more callbacks whose condition holds now
  static void run_all(Callbacks& callbacks);

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  std::optional<uint64_t> length_;
  uint64_t written_ = 0;
  State state_ = State::kRunning;
  std::optional<Error> error_;
  blob::BlobInfo info_;
  // The file readers read (the blob writer's own, or a spool); closed with the Transfer (when the
  // last reader lets go).
  int fd_ = -1;
  Callbacks start_waiters_;
  std::vector<std::pair<uint64_t, std::function<void()>>> more_waiters_;
  std::atomic<bool> abort_{false};
};

class ObjectFetcher {
 public:
  static constexpr double kRecentSeconds = 10;
  // Completed transfers kept joinable at most (each holds a descriptor, and a spool its disk
  // space): a cold install of thousands of packages must not run the process out of descriptors.
  static constexpr size_t kMaxRecent = 256;
  static constexpr double kIdleSeconds = 60;

  static constexpr size_t kDefaultMaxWorkers = 32;

  // At most `max_workers` transfers run at once (each holds a thread, a curl handle and a blob
  // temp file); further ones wait in a queue.
  ObjectFetcher(blob::BlobStore& blobs, CacheMetrics& metrics, std::string spool_dir,
                size_t max_workers = kDefaultMaxWorkers);
  ~ObjectFetcher();  // stop()
  // Fails queued transfers, aborts running ones and waits for every worker to exit; every
  // reader's callback has run when it returns. Later fetch() calls fail. The owner calls it
  // before anything a transfer's hooks or readers use goes away.
  void stop();
  ObjectFetcher(const ObjectFetcher&) = delete;
  ObjectFetcher& operator=(const ObjectFetcher&) = delete;

  // Joins the transfer of `key` or starts one, for `party` (whose hooks these are; see the
  // contract). `connection` must outlive the transfer. Never blocks on I/O (an I/O thread may
  // call it): the worker sends the GET, and creates the blob writer (and a spool if needed)
  // while the upstream prepares its answer.
  Result<std::shared_ptr<Transfer>> fetch(const Connection& connection, const std::string& key,
                                          const std::string& party, ObjectRequest request,
                                          CommitHook on_commit, FinishedHook on_finished = {});
  size_t in_flight();
  size_t threads();  // worker threads alive, busy or idle
  size_t idle();     // worker threads waiting for a transfer

 private:
  using Clock = std::chrono::steady_clock;
  // The parties of one transfer and their hooks; guarded by mu_.
  struct Parties {
    std::set<std::string> names;
    std::vector<CommitHook> pending;     // commit hooks not run yet
    std::vector<FinishedHook> finished;  // read without mu_ once sealed
    bool sealed = false;                 // every commit hook ran: nobody joins any more
  };
  struct Running {
    std::shared_ptr<Transfer> transfer;
    std::shared_ptr<Parties> parties;
  };
  struct Job {
    const Connection* connection;
    std::string key;
    ObjectRequest request;
    std::shared_ptr<Parties> parties;
    std::shared_ptr<Transfer> transfer;
  };
  struct Recent {
    std::shared_ptr<Transfer> transfer;
    std::set<std::string> parties;
    Clock::time_point expires;
  };

  void worker();
  void run(Job& job);
  // mu_ held: `party` joins the running transfer (true), or cannot, its hooks having run.
  static bool join(Parties& p, const std::string& party, CommitHook& on_commit,
                   FinishedHook& on_finished);
  // mu_ held: queues a new transfer of `key` for `party`.
  Result<std::shared_ptr<Transfer>> start(const Connection& connection, const std::string& key,
                                          const std::string& party, ObjectRequest request,
                                          CommitHook on_commit, FinishedHook on_finished);
  // Runs the parties' commit hooks, those of parties joining meanwhile too, then seals them.
  Status commit_all(Parties& p, const blob::BlobInfo& info);
  // A spool: a spare one made while a worker was idle, else a new one.
  Result<int> take_spool();
  void refill_spools();
  // mu_ held. What leaves recent_ is returned, for the caller to let go of after unlocking:
  // the last reference to a Transfer closes its file, and closing an unlinked one (a spool)
  // frees its blocks (milliseconds for a large one), which must not happen under mu_.
  using Expired = std::vector<std::shared_ptr<Transfer>>;
  Expired sweep_recent(Clock::time_point now);
  Expired remember_recent(const std::string& key, std::shared_ptr<Transfer> t,
                          std::set<std::string> parties);
  Result<blob::BlobInfo> transfer(const Connection& connection, const ObjectRequest& request,
                                  const CommitHook& on_commit, Transfer& t);

  blob::BlobStore& blobs_;
  CacheMetrics& metrics_;
  const std::string spool_dir_;
  const size_t max_workers_;
  std::mutex mu_;
  std::condition_variable work_;  // a job was queued, or stopping
  std::condition_variable idle_;  // the last worker exited
  std::deque<Job> queue_;
  std::map<std::string, Running> running_;
  // Completed transfers by key, joinable until they expire (swept by fetch() and idle workers).
  std::map<std::string, Recent> recent_;
  size_t threads_ = 0;
  size_t waiting_ = 0;  // workers waiting for a job
  bool stopping_ = false;
  // Spools made ahead (an O_TMPFILE open costs 50-150 µs here, on a miss's critical path), once
  // a blob writer did not share its file (a store without local files).
  static constexpr size_t kSpareSpools = 4;
  std::vector<int> spare_spools_;
  bool spools_needed_ = false;
};

}  // namespace arca::upstream
