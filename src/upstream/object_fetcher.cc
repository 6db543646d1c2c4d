#include "upstream/object_fetcher.h"

#include <fcntl.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace arca::upstream {

namespace {

// `bytes` (announced, or received so far) are over the request's max_bytes.
Error too_large(const ObjectRequest& request, uint64_t bytes) {
  return Error{Code::kTooLarge, request.url + " has " + std::to_string(bytes) +
                                    " bytes or more, over the " +
                                    std::to_string(request.max_bytes) +
                                    "-byte limit for an upstream artifact (max_asset_size)"};
}

// An unnamed temporary file in `dir`: it vanishes with its last descriptor, even after a crash.
Result<int> open_spool(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string path = dir + "/fetch-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return unavailable("cannot create a spool file in " + dir + ": " + strerror(errno));
  ::unlink(path.c_str());
  return fd;
}

Status write_all(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable(std::string("cannot write the spool file: ") + strerror(errno));
    }
    data.remove_prefix(size_t(n));
    offset += uint64_t(n);
  }
  return {};
}

}  // namespace

ObjectFetcher::ObjectFetcher(blob::BlobStore& blobs, CacheMetrics& metrics, std::string spool_dir,
                             size_t max_workers)
    : blobs_(blobs),
      metrics_(metrics),
      spool_dir_(std::move(spool_dir)),
      max_workers_(std::max<size_t>(1, max_workers)) {}

ObjectFetcher::~ObjectFetcher() { stop(); }

void ObjectFetcher::stop() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  for (auto& [key, r] : running_) r.transfer->abort_ = true;
  work_.notify_all();
  idle_.wait(lock, [&] { return threads_ == 0; });
  for (int fd : spare_spools_) ::close(fd);
  spare_spools_.clear();
}

Result<int> ObjectFetcher::take_spool() {
  {
    std::lock_guard lock(mu_);
    spools_needed_ = true;
    if (!spare_spools_.empty()) {
      int fd = spare_spools_.back();
      spare_spools_.pop_back();
      return fd;
    }
  }
  return open_spool(spool_dir_);
}

void ObjectFetcher::refill_spools() {
  {
    std::lock_guard lock(mu_);
    if (!spools_needed_ || stopping_ || spare_spools_.size() >= kSpareSpools) return;
  }
  auto fd = open_spool(spool_dir_);
  if (!fd) return;  // the next transfer makes its own (and reports the error)
  std::lock_guard lock(mu_);
  if (stopping_ || spare_spools_.size() >= kSpareSpools) {
    ::close(*fd);
    return;
  }
  spare_spools_.push_back(*fd);
}

size_t ObjectFetcher::in_flight() {
  std::lock_guard lock(mu_);
  return running_.size();
}

size_t ObjectFetcher::threads() {
  std::lock_guard lock(mu_);
  return threads_;
}

size_t ObjectFetcher::idle() {
  std::lock_guard lock(mu_);
  return waiting_;
}

ObjectFetcher::Expired ObjectFetcher::sweep_recent(Clock::time_point now) {
  Expired out;
  std::erase_if(recent_, [&](auto& entry) {
    if (entry.second.expires > now) return false;
    out.push_back(std::move(entry.second.transfer));
    return true;
  });
  return out;
}

ObjectFetcher::Expired ObjectFetcher::remember_recent(const std::string& key,
                                                      std::shared_ptr<Transfer> t,
                                                      std::set<std::string> parties) {
  Expired out;
  if (recent_.size() >= kMaxRecent && !recent_.count(key)) {  // the oldest goes first
    auto oldest = std::min_element(
        recent_.begin(), recent_.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    out.push_back(std::move(oldest->second.transfer));
    recent_.erase(oldest);
  }
  auto expires = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(kRecentSeconds));
  if (auto it = recent_.find(key); it != recent_.end())
    out.push_back(std::move(it->second.transfer));
  recent_[key] = Recent{std::move(t), std::move(parties), expires};
  return out;
}

Result<std::shared_ptr<Transfer>> ObjectFetcher::fetch(const Connection& connection,
                                                       const std::string& key,
                                                       const std::string& party,
                                                       ObjectRequest request, CommitHook on_commit,
                                                       FinishedHook on_finished) {
  Expired expired;  // let go of after the lock (declared first, destroyed last)
  std::lock_guard lock(mu_);
  if (stopping_) return unavailable("the server is shutting down");
  expired = sweep_recent(Clock::now());
  // The shared flight, else (its hooks having run without this party) the party's own.
  for (const std::string& flight : {key, key + '\n' + party}) {
    if (auto it = recent_.find(flight); it != recent_.end()) {
      if (!it->second.parties.contains(party)) continue;
      metrics_.connection_lookup(connection.name, CacheResult::kHit);
      return it->second.transfer;
    }
    if (auto it = running_.find(flight); it != running_.end()) {
      if (!join(*it->second.parties, party, on_commit, on_finished)) continue;
      metrics_.connection_lookup(connection.name, CacheResult::kHit);
      return it->second.transfer;
    }
    return start(connection, flight, party, std::move(request), std::move(on_commit),
                 std::move(on_finished));
  }
  // Unreachable: the party's own flight is either joinable by it or free.
  return internal_error("upstream: no flight for " + request.url);
}

bool ObjectFetcher::join(Parties& p, const std::string& party, CommitHook& on_commit,
                         FinishedHook& on_finished) {
  if (p.names.contains(party)) return true;
  if (p.sealed) return false;
  // The name last: a party is a member only once its hooks are in (an allocation may throw).
  p.pending.push_back(std::move(on_commit));
  if (on_finished) p.finished.push_back(std::move(on_finished));
  p.names.insert(party);
  return true;
}

Result<std::shared_ptr<Transfer>> ObjectFetcher::start(const Connection& connection,
                                                       const std::string& key,
                                                       const std::string& party,
                                                       ObjectRequest request, CommitHook on_commit,
                                                       FinishedHook on_finished) {
  if (auto down = refused_while_down(connection, metrics_)) return *down;  // it would time out
  auto t = std::make_shared<Transfer>();
  if (queue_.size() >= waiting_ && threads_ < max_workers_) {  // every idle worker is spoken for
    try {
      std::thread(&ObjectFetcher::worker, this).detach();
    } catch (const std::system_error& e) {
      return unavailable(std::string("cannot start an upstream transfer: ") + e.what());
    }
    ++threads_;
  }
  auto parties = std::make_shared<Parties>();
  join(*parties, party, on_commit, on_finished);
  queue_.push_back(Job{&connection, key, std::move(request), parties, t});
  running_[key] = Running{t, std::move(parties)};
  metrics_.connection_lookup(connection.name, CacheResult::kMiss);
  work_.notify_one();
  return t;
}

Status ObjectFetcher::commit_all(Parties& p, const blob::BlobInfo& info) {
  bool first = true;
  for (;;) {
    std::vector<CommitHook> batch;
    {
      std::lock_guard lock(mu_);
      if (p.pending.empty()) {
        p.sealed = true;
        return {};
      }
      batch.swap(p.pending);
    }
    for (const CommitHook& hook : batch) {
      // The first party's hook decides the transfer. A joining party's failure (its repository
      // deleted meanwhile, say) must not fail the others' downloads: its readers still get the
      // verified bytes, and its next request retains the version from where it is stored.
      if (first) {
        first = false;
        ARCA_TRY(hook(info));
        continue;
      }
      try {
        if (auto st = hook(info); !st)
          spdlog::warn("upstream: a joining request's retention failed: {}", st.error().message);
      } catch (const std::exception& e) {
        spdlog::warn("upstream: a joining request's retention failed: {}", e.what());
      }
    }
  }
}

void ObjectFetcher::worker() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto idle_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(kIdleSeconds));
    while (queue_.empty() && !stopping_) {
      // Wake for the next expiry too, so an idle server lets go of finished spools.
      auto wake = idle_until;
      for (const auto& [key, r] : recent_) wake = std::min(wake, r.expires);
      ++waiting_;
      work_.wait_until(lock, wake);
      --waiting_;
      auto now = Clock::now();
      if (auto expired = sweep_recent(now); !expired.empty()) {
        lock.unlock();
        expired.clear();
        lock.lock();
      }
      if (queue_.empty() && now >= idle_until) break;
    }
    if (queue_.empty()) break;  // stopping, or idle too long
    std::optional<Job> job(std::move(queue_.front()));
    queue_.pop_front();
    lock.unlock();
    run(*job);
    job.reset();      // maybe the last reference to a failed transfer: not under mu_
    refill_spools();  // while no transfer waits on this worker
    lock.lock();
  }
  if (--threads_ == 0) idle_.notify_all();
}

void ObjectFetcher::run(Job& job) {
  Transfer& t = *job.transfer;
  // An exception (from a hook, or out of memory) fails this transfer, not the process: the
  // worker is a detached thread, and the readers must be told.
  auto outcome = [&]() -> Result<blob::BlobInfo> {
    if (t.aborted()) return unavailable("the server is shutting down");
    try {
      return transfer(
          *job.connection, job.request,
          [&](const blob::BlobInfo& info) { return commit_all(*job.parties, info); }, t);
    } catch (const std::exception& e) {
      return internal_error("the transfer of " + job.request.url + " failed: " + e.what());
    }
  }();
  if (!outcome && outcome.error().code == Code::kInvalidArgument)
    metrics_.upstream_error(job.connection->name, "integrity");
  // Leave the single-flight map before waking readers: a request after this finds the version
  // recorded by the hook, or starts a new transfer after a failure.
  {
    Expired evicted;  // declared first: let go of after the lock
    std::lock_guard lock(mu_);
    running_.erase(job.key);
    // Keep the spool (and its disk space) only for the grace period, then let it go.
    if (outcome) evicted = remember_recent(job.key, job.transfer, job.parties->names);
  }
  bool ok = bool(outcome);
  t.finish(std::move(outcome));
  if (!ok) return;
  for (const FinishedHook& hook : job.parties->finished) {  // sealed: no longer changes
    try {
      hook();
    } catch (const std::exception& e) {
      spdlog::warn("upstream: after the transfer of {}: {}", job.request.url, e.what());
    }
  }
}

Result<blob::BlobInfo> ObjectFetcher::transfer(const Connection& connection,
                                               const ObjectRequest& request,
                                               const CommitHook& on_commit, Transfer& t) {
  // The blob writer and the file readers read (the writer's own when it shares it, else a
  // spool), made while the upstream prepares its answer (on_waiting) or, when the answer came
  // first, once on_head announced it (readers read nothing before on_data's first bytes).
  // make_readable() returns false once a set-up failed (setup_error says why).
  std::unique_ptr<blob::BlobWriter> writer;
  std::optional<Error> setup_error;
  bool readable = false;
  bool spooled = false;  // readers read a spool, which on_data fills as well
  auto fail_setup = [&](Error e) {
    setup_error = std::move(e);
    return false;
  };
  auto make_readable = [&] {
    if (readable || setup_error) return !setup_error;
    if (!writer) {
      auto w = blobs_.begin_write();
      if (!w) return fail_setup(w.error());
      writer = std::move(*w);
    }
    int fd = writer->share_file();
    if (fd < 0) {
      auto spool = take_spool();
      if (!spool) return fail_setup(spool.error());
      fd = *spool;
      spooled = true;
    }
    t.set_file(fd);
    readable = true;
    return true;
  };
  int status = 0;
  uint64_t offset = 0;
  std::optional<Error> sink_error;
  FetchSink sink;
  sink.on_head = [&](const ResponseHead& head) {
    status = head.status;
    if (status != 200) return true;  // the body (an error page) is drained and ignored
    if (request.max_bytes && head.content_length && *head.content_length > request.max_bytes) {
      sink_error = too_large(request, *head.content_length);
      return false;
    }
    // A set-up that failed while the upstream prepared its answer is an error for the readers,
    // not a cut body.
    if (setup_error) {
      sink_error = setup_error;
      return false;
    }
    t.mark_started(head.content_length);  // readers may send the head now
    // A woken reader's I/O thread is often queued on this CPU (the scheduler places a wakee
    // near its waker): let it send the head before this thread goes on with the body.
    sched_yield();
    // When the answer came before on_waiting could run (a near upstream), the writer is made
    // only now: the head does not wait for a temp file (0.3-0.4 ms here, with the store's
    // helper thread woken to make the next one), and a failure, rare, cuts the body.
    if (!make_readable()) {
      sink_error = setup_error;
      return false;
    }
    return true;
  };
  sink.on_data = [&](std::string_view chunk) {
    if (status != 200) return true;
    if (t.aborted()) {
      sink_error = unavailable("the server is shutting down");
      return false;
    }
    if (request.max_bytes && offset + chunk.size() > request.max_bytes) {
      sink_error = too_large(request, offset + chunk.size());
      return false;
    }
    if (spooled) {
      if (auto st = write_all(t.fd_, chunk, offset); !st) {
        sink_error = st.error();
        return false;
      }
    }
    if (auto st = writer->write(chunk); !st) {
      sink_error = st.error();
      return false;
    }
    offset += chunk.size();
    t.appended(chunk.size());
    return true;
  };
  sink.cancelled = [&t] { return t.aborted(); };  // stop() does not wait for a slow upstream
  sink.on_waiting = [&] { make_readable(); };
  FetchRequest get{request.url, request.headers};
  auto got = connection.client->get(get, sink);
  const double backoff = UpstreamHealth::backoff(connection.metadata_ttl);
  if (!got) {
    Error e = sink_error.value_or(got.error());
    metrics_.upstream_answer(connection.name, 0, 0, offset);
    metrics_.upstream_error(connection.name, error_kind(e));
    if (!sink_error) {
      report_health(connection, metrics_, true, backoff);  // no answer, a timeout, a cut body
    } else if (status != 0) {  // it answered; this side refused the body (too large, stopping)
      report_health(connection, metrics_, false, backoff);
    }
    return e;
  }
  metrics_.upstream_answer(connection.name, status, double(got->time_to_first_byte.count()) / 1e6,
                           got->body_bytes);
  const bool cut = got->head.content_length && *got->head.content_length != offset;
  // An HTTP error status is an answer; a cut body is not.
  report_health(connection, metrics_, status == 200 && cut, backoff);
  if (status == 404 || status == 410)
    return not_found("asset", request.url, request.url + " was not found upstream");
  if (status != 200) {
    metrics_.upstream_error(connection.name, "status");
    return unavailable("upstream " + connection.name + " answered HTTP " + std::to_string(status) +
                       " for " + request.url);
  }
  if (cut) {
    metrics_.upstream_error(connection.name, "reset");
    return unavailable("upstream " + connection.name + " sent " + std::to_string(offset) + " of " +
                       std::to_string(*got->head.content_length) + " bytes of " + request.url);
  }
  // The blob writer hashes every byte anyway: it checks the published digests before the blob
  // becomes visible.
  auto digest = [](const std::string& hex) {
    return hex.empty() ? std::nullopt : std::optional<std::string>(hex);
  };
  if (!writer)
    return unavailable("upstream " + connection.name + " sent no head for " + request.url);
  auto info = writer->commit({.sha256 = digest(request.sha256),
                              .size = offset,
                              .sha1 = digest(request.sha1),
                              .sha512 = digest(request.sha512)});
  if (!info && info.error().code == Code::kInvalidArgument)
    return invalid_argument("the upstream content of " + request.url +
                            " does not match its published integrity (" + info.error().message +
                            ")");
  if (!info) return info.error();
  ARCA_TRY(on_commit(*info));
  return *info;
}

}  // namespace arca::upstream
