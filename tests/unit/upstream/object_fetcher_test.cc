#include "upstream/object_fetcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "blob/fault_injecting_blob_store.h"
#include "blob/fs/fs_blob_store.h"
#include "events/metrics.h"
#include "support/test_server.h"
#include "util/crypto.h"

namespace arca::upstream {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;

class ObjectFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "arca-fetch-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    std::filesystem::create_directories(dir_ + "/spool");
    auto blobs = blob::FsBlobStore::open(dir_ + "/blobs");
    ASSERT_TRUE(blobs) << blobs.error().message;
    blobs_ = std::move(*blobs);
    connection_.name = "public:test";
    connection_.base_url = server_.url("/");
    ClientOptions o;
    o.connect_timeout = 1s;
    o.first_byte_timeout = 2s;
    o.idle_timeout = 2s;
    o.retry_backoff = 10ms;
    connection_.client = std::make_unique<HttpClient>(o);
    fetcher_ = std::make_unique<ObjectFetcher>(*blobs_, metrics_, dir_ + "/spool");
  }
  void TearDown() override {
    fetcher_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Serves `body` at `path` and returns a request for it that expects its SHA-256.
  ObjectRequest serve(const std::string& path, const std::string& body) {
    server_.route(path, testing::respond(200, body));
    ObjectRequest r;
    r.url = server_.url(path);
    r.sha256 = crypto::digest_hex(crypto::Algo::kSha256, body);
    return r;
  }

  // Waits (blocking) until progress() moves past `seen`, through when_more's callback.
  static Transfer::Progress next(Transfer& t, uint64_t seen) {
    std::promise<void> woken;
    auto done = woken.get_future();
    t.when_more(seen, [&woken] { woken.set_value(); });
    done.wait();
    return t.progress();
  }

  // The outcome of the head (Transfer::started), waited for through when_started.
  static Result<std::optional<uint64_t>> head_outcome(Transfer& t) {
    std::promise<void> ready;
    auto fired = ready.get_future();
    t.when_started([&ready] { ready.set_value(); });
    fired.wait();
    return t.started();
  }

  // A request for `path` on the test upstream, without expected digests.
  ObjectRequest at(const std::string& path) {
    ObjectRequest r;
    r.url = server_.url(path);
    return r;
  }

  // Reads a transfer to its verified end as a server does: each readable range from the spool,
  // then a wait for more.
  static Result<std::string> read_all(Transfer& t) {
    std::string out;
    for (Transfer::Progress p = t.progress();; p = next(t, out.size())) {
      if (p.error) return *p.error;
      if (p.readable > out.size()) {
        std::string chunk(p.readable - out.size(), '\0');
        if (::pread(p.fd, chunk.data(), chunk.size(), off_t(out.size())) != ssize_t(chunk.size()))
          return unavailable("short read of the spool");
        out += chunk;
      }
      if (p.complete) return out;
    }
  }

  Result<std::shared_ptr<Transfer>> fetch(const std::string& key, ObjectRequest r,
                                          int* commits = nullptr, FinishedHook finished = {}) {
    return fetch_for("party", key, std::move(r), commits, std::move(finished));
  }
  Result<std::shared_ptr<Transfer>> held_by_app(const std::string& key, const ObjectRequest& r,
                                                std::shared_future<void> release,
                                                Status outcome = {});
  Result<std::shared_ptr<Transfer>> fetch_for(const std::string& party, const std::string& key,
                                              ObjectRequest r, int* commits = nullptr,
                                              FinishedHook finished = {}) {
    return fetcher_->fetch(
        connection_, key, party, std::move(r),
        [commits](const blob::BlobInfo&) {
          if (commits) ++*commits;
          return Status{};
        },
        std::move(finished));
  }

  TestServer server_;
  std::string dir_;
  std::unique_ptr<blob::FsBlobStore> blobs_;
  events::Registry registry_;
  CacheMetrics metrics_{registry_};
  Connection connection_;
  std::unique_ptr<ObjectFetcher> fetcher_;
};

// The store's writers, minus share_file(): as a store without local files.
class UnsharedFiles final : public blob::BlobStoreWrapper {
 public:
  using BlobStoreWrapper::BlobStoreWrapper;
  Result<std::unique_ptr<blob::BlobWriter>> begin_write() override {
    ARCA_ASSIGN_OR_RETURN(auto w, BlobStoreWrapper::begin_write());
    return std::unique_ptr<blob::BlobWriter>(new Writer(std::move(w)));
  }

 private:
  struct Writer final : blob::BlobWriter {
    explicit Writer(std::unique_ptr<blob::BlobWriter> w) : target(std::move(w)) {}
    Status write(std::string_view chunk) override { return target->write(chunk); }
    Result<blob::BlobInfo> commit(const blob::CommitExpectations& e) override {
      return target->commit(e);
    }
    uint64_t bytes_written() const override { return target->bytes_written(); }
    std::unique_ptr<blob::BlobWriter> target;
  };
};

TEST_F(ObjectFetcherTest, StoresTheVerifiedBodyAndFeedsTheReader) {
  const std::string body(100'000, 'x');
  int commits = 0;
  auto t = fetch("k1", serve("/a.tgz", body), &commits);
  ASSERT_TRUE(t) << t.error().message;
  auto length = (*t)->wait_started();
  ASSERT_TRUE(length) << length.error().message;
  EXPECT_EQ(*length, body.size());
  auto got = read_all(**t);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, body);
  auto info = (*t)->wait_finished();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sha256, crypto::digest_hex(crypto::Algo::kSha256, body));
  EXPECT_EQ(commits, 1);
  EXPECT_TRUE(blobs_->stat(info->sha256));
}

TEST_F(ObjectFetcherTest, ACompletedTransferIsJoinedNotFetchedAgain) {
  auto r = serve("/b.tgz", "bbbb");
  auto first = fetch("k", r);
  ASSERT_TRUE(first);
  ASSERT_TRUE((*first)->wait_finished());
  auto second = fetch("k", r);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(server_.requests("/b.tgz"), 1);
}

TEST_F(ObjectFetcherTest, AtMostKMaxRecentCompletedTransfersStayJoinable) {
  const size_t n = ObjectFetcher::kMaxRecent + 1;
  for (size_t i = 0; i < n; ++i) {
    std::string path = "/m" + std::to_string(i) + ".tgz";
    auto t = fetch(path, serve(path, "body " + std::to_string(i)));
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE((*t)->wait_finished());
  }
  // The oldest was let go of (its spool closed): asked for again, it is fetched again.
  auto first = fetch("/m0.tgz", at("/m0.tgz"));
  ASSERT_TRUE(first);
  ASSERT_TRUE((*first)->wait_finished());
  EXPECT_EQ(server_.requests("/m0.tgz"), 2);
  const std::string last = "/m" + std::to_string(n - 1) + ".tgz";
  auto newest = fetch(last, at(last));
  ASSERT_TRUE(newest);
  EXPECT_EQ(server_.requests(last), 1);  // still joined
}

TEST_F(ObjectFetcherTest, AHookThatThrowsFailsTheTransferNotTheProcess) {
  auto t = fetcher_->fetch(
      connection_, "throws", "party", serve("/throws.tgz", "bytes"),
      [](const blob::BlobInfo&) -> Status { throw std::runtime_error("the hook broke"); });
  ASSERT_TRUE(t);
  auto got = read_all(**t);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("the hook broke"), std::string::npos);
  auto next = fetch("after", serve("/after.tgz", "fine"));  // the worker lives on
  ASSERT_TRUE(next);
  EXPECT_TRUE((*next)->wait_finished());
}

TEST_F(ObjectFetcherTest, ReusesAnIdleWorkerForTheNextTransfer) {
  for (int i = 0; i < 5; ++i) {
    std::string path = "/r" + std::to_string(i) + ".tgz";
    auto t = fetch(path, serve(path, "body " + std::to_string(i)));
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE((*t)->wait_finished());
    // The worker wakes the readers just before it goes back to waiting for the next job.
    for (int spin = 0; spin < 2000 && fetcher_->idle() == 0; ++spin)
      std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(fetcher_->threads(), 1u);
}

TEST_F(ObjectFetcherTest, ConcurrentTransfersGetTheirOwnWorkers) {
  // A slow transfer must not hold up a second one behind it.
  server_.route("/slow.tgz", testing::delayed(300ms, testing::respond(200, "slow")));
  auto slow = at("/slow.tgz");
  auto a = fetch("slow", slow);
  ASSERT_TRUE(a);
  auto start = std::chrono::steady_clock::now();
  auto b = fetch("fast", serve("/fast.tgz", "fast"));
  ASSERT_TRUE(b);
  ASSERT_TRUE((*b)->wait_finished());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(fetcher_->threads(), 2u);
  ASSERT_TRUE((*a)->wait_finished());
}

TEST_F(ObjectFetcherTest, ACorruptBodyFailsTheReaderAndStoresNothing) {
  auto r = serve("/bad.tgz", "the real bytes");
  r.sha256 = crypto::digest_hex(crypto::Algo::kSha256, "other bytes");
  int commits = 0;
  auto t = fetch("bad", r, &commits);
  ASSERT_TRUE(t);
  auto got = read_all(**t);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::kInvalidArgument);
  EXPECT_EQ(commits, 0);
  auto listed = blobs_->list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  // A failed transfer is not kept: the next request asks the upstream again.
  auto again = fetch("bad", r);
  ASSERT_TRUE(again);
  EXPECT_NE(t->get(), again->get());
  EXPECT_FALSE((*again)->wait_finished());
  EXPECT_EQ(server_.requests("/bad.tgz"), 2);
}

TEST_F(ObjectFetcherTest, AnArtifactOverItsMaxBytesIsRefusedAndNothingIsStored) {
  const std::string body(5000, 'z');
  auto announced = serve("/long.tgz", body);  // Content-Length: refused at the head
  announced.max_bytes = 4096;
  auto t = fetch("long", announced);
  ASSERT_TRUE(t);
  auto started = (*t)->wait_started();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Code::kTooLarge);
  EXPECT_NE(started.error().message.find("4096-byte limit"), std::string::npos)
      << started.error().message;

  server_.route("/streamed.tgz", testing::chunked({body.substr(0, 3000), body.substr(3000)}));
  auto streamed = at("/streamed.tgz");  // no length: refused once the bytes pass the limit
  streamed.max_bytes = 4096;
  auto s = fetch("streamed", streamed);
  ASSERT_TRUE(s);
  auto finished = (*s)->wait_finished();
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().code, Code::kTooLarge);
  auto listed = blobs_->list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

TEST_F(ObjectFetcherTest, ErrorStatusesAreAnswersAndKeepTheConnectionUp) {
  for (int i = 0; i <= UpstreamHealth::kTripAfter; ++i) {
    std::string path = "/broken" + std::to_string(i) + ".tgz";
    server_.route(path, testing::respond(503, "broken"));
    auto t = fetch(path, at(path));
    ASSERT_TRUE(t) << t.error().message;  // asked every time
    EXPECT_FALSE((*t)->wait_finished());
  }
}

TEST_F(ObjectFetcherTest, AConnectionFailingInARowIsNotAskedForMore) {
  for (int i = 0; i < UpstreamHealth::kTripAfter; ++i) {
    std::string path = "/down" + std::to_string(i) + ".tgz";
    server_.route(path, testing::hang_up());  // no answer
    auto t = fetch(path, at(path));
    ASSERT_TRUE(t);
    EXPECT_FALSE((*t)->wait_finished());
  }
  serve("/next.tgz", "next");
  auto refused = fetch("next", at("/next.tgz"));  // fails at once, without a request
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::kUnavailable);
  EXPECT_NE(refused.error().message.find("not answering"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(server_.requests("/next.tgz"), 0);
}

TEST_F(ObjectFetcherTest, AnUpstream404IsNotFound) {
  server_.route("/missing.tgz", testing::respond(404, "no"));
  auto r = at("/missing.tgz");
  auto t = fetch("missing", r);
  ASSERT_TRUE(t);
  auto started = (*t)->wait_started();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Code::kNotFound);
}

TEST_F(ObjectFetcherTest, StartedCallbackFiresOnceTheUpstreamAnswered) {
  server_.route("/late.tgz", testing::delayed(300ms, testing::respond(200, "late body")));
  auto r = at("/late.tgz");
  auto t = fetch("late", r);
  ASSERT_TRUE(t);
  std::promise<void> ready;
  auto fired = ready.get_future();
  (*t)->when_started([&ready] { ready.set_value(); });
  EXPECT_EQ(fired.wait_for(50ms), std::future_status::timeout);  // the upstream has not answered
  fired.wait();
  auto length = (*t)->started();
  ASSERT_TRUE(length) << length.error().message;
  EXPECT_EQ(*length, 9u);
  auto got = read_all(**t);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "late body");
  // Registered after the start: called at once, on the caller's thread.
  bool now = false;
  (*t)->when_started([&now] { now = true; });
  EXPECT_TRUE(now);
}

TEST_F(ObjectFetcherTest, StartedCallbackSeesAnUpstream404) {
  server_.route("/gone.tgz", testing::respond(404, "no"));
  auto r = at("/gone.tgz");
  auto t = fetch("gone", r);
  ASSERT_TRUE(t);
  auto started = head_outcome(**t);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Code::kNotFound);
  EXPECT_TRUE(next(**t, 0).error);  // a waiting reader is told too
}

TEST_F(ObjectFetcherTest, TheLastByteWaitsForTheCommitHook) {
  const std::string body = "0123456789";
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  auto in_hook = entered.get_future();
  auto t = fetcher_->fetch(connection_, "held", "party", serve("/held.tgz", body),
                           [&](const blob::BlobInfo&) {
                             entered.set_value();
                             released.wait();
                             return Status{};
                           });
  ASSERT_TRUE(t);
  in_hook.wait();
  Transfer::Progress p = (*t)->progress();
  EXPECT_EQ(p.readable, body.size() - 1);  // verified, but not yet recorded
  EXPECT_FALSE(p.complete);
  std::promise<Transfer::Progress> woke;
  (*t)->when_more(p.readable, [&] { woke.set_value((*t)->progress()); });
  release.set_value();
  p = woke.get_future().get();
  EXPECT_EQ(p.readable, body.size());
  EXPECT_TRUE(p.complete);
}

// Starts a transfer of `key` for party "app" whose commit hook waits until `release` is set and
// then returns `outcome`; returns once that hook is running (the blob is committed by then).
Result<std::shared_ptr<Transfer>> ObjectFetcherTest::held_by_app(const std::string& key,
                                                                 const ObjectRequest& r,
                                                                 std::shared_future<void> release,
                                                                 Status outcome) {
  auto entered = std::make_shared<std::promise<void>>();
  auto in_hook = entered->get_future();
  auto t = fetcher_->fetch(connection_, key, "app", r, [=](const blob::BlobInfo&) {
    entered->set_value();
    release.wait();
    return outcome;
  });
  if (t) in_hook.wait();
  return t;
}

TEST_F(ObjectFetcherTest, AnotherPartyJoinsARunningTransferWithItsOwnHooks) {
  const std::string body = "shared bytes";
  auto r = serve("/shared.tgz", body);
  std::promise<void> release;
  auto first = held_by_app("obj", r, release.get_future().share());
  ASSERT_TRUE(first);
  std::shared_ptr<Transfer> seen = *first;
  std::atomic<int> team_commits{0};
  std::atomic<bool> complete_in_hook{true}, team_finished{false};
  auto second = fetcher_->fetch(
      connection_, "obj", "team", r,
      [&](const blob::BlobInfo&) {
        ++team_commits;
        complete_in_hook = seen->progress().complete;
        return Status{};
      },
      [&] { team_finished = true; });
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());
  release.set_value();
  auto got = read_all(**second);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, body);
  EXPECT_EQ(team_commits, 1);
  EXPECT_FALSE(complete_in_hook);  // its hook ran before the last byte was released
  EXPECT_EQ(server_.requests("/shared.tgz"), 1);
  fetcher_.reset();  // joins the worker: the finished hooks have run
  EXPECT_TRUE(team_finished);
}

TEST_F(ObjectFetcherTest, AJoiningPartysFailedHookDoesNotFailTheOthers) {
  auto r = serve("/joined.tgz", "joined bytes");
  std::promise<void> release;
  auto first = held_by_app("obj", r, release.get_future().share());
  ASSERT_TRUE(first);
  auto second = fetcher_->fetch(connection_, "obj", "team", r, [](const blob::BlobInfo&) {
    return Status(not_found("repository", "team", "team was deleted"));
  });
  ASSERT_TRUE(second);
  release.set_value();
  for (auto* t : {&*first, &*second}) {
    auto got = read_all(**t);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, "joined bytes");
  }
}

TEST_F(ObjectFetcherTest, TheFirstPartysFailedHookFailsEveryReader) {
  auto r = serve("/refused.tgz", "refused bytes");
  std::promise<void> release;
  auto first = held_by_app("obj", r, release.get_future().share(),
                           Status(internal_error("the store refused the version")));
  ASSERT_TRUE(first);
  int team_commits = 0;
  auto second = fetch_for("team", "obj", r, &team_commits);
  ASSERT_TRUE(second);
  release.set_value();
  EXPECT_FALSE(read_all(**first));
  EXPECT_FALSE(read_all(**second));
  fetcher_.reset();
  EXPECT_EQ(team_commits, 0);
}

TEST_F(ObjectFetcherTest, APartyAfterTheHooksRanGetsATransferOfItsOwn) {
  auto r = serve("/own.tgz", "own bytes");
  int app_commits = 0, team_commits = 0;
  auto first = fetch_for("app", "obj", r, &app_commits);
  ASSERT_TRUE(first);
  ASSERT_TRUE((*first)->wait_finished());
  // Joinable again by its party only: another one's hook would never run.
  auto again = fetch_for("app", "obj", r, &app_commits);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->get(), again->get());
  auto own = fetch_for("team", "obj", r, &team_commits);
  ASSERT_TRUE(own);
  EXPECT_NE(first->get(), own->get());
  ASSERT_TRUE((*own)->wait_finished());
  EXPECT_EQ(app_commits, 1);
  EXPECT_EQ(team_commits, 1);
  EXPECT_EQ(server_.requests("/own.tgz"), 2);
  auto own_again = fetch_for("team", "obj", r, &team_commits);
  ASSERT_TRUE(own_again);
  EXPECT_EQ(own->get(), own_again->get());
}

TEST_F(ObjectFetcherTest, FinishedHookRunsAfterSuccessOnly) {
  std::promise<void> ran;
  auto ok = fetch("fine", serve("/fine.tgz", "fine"), nullptr, [&ran] { ran.set_value(); });
  ASSERT_TRUE(ok);
  ASSERT_TRUE((*ok)->wait_finished());
  EXPECT_EQ(ran.get_future().wait_for(2s), std::future_status::ready);

  auto bad = serve("/corrupt.tgz", "bytes");
  bad.sha256 = crypto::digest_hex(crypto::Algo::kSha256, "other");
  std::atomic<bool> called{false};
  auto failed = fetch("corrupt", bad, nullptr, [&called] { called = true; });
  ASSERT_TRUE(failed);
  ASSERT_FALSE((*failed)->wait_finished());
  fetcher_.reset();  // joins the worker: a hook would have run by now
  EXPECT_FALSE(called);
}

TEST_F(ObjectFetcherTest, AFailedSetUpIsReportedBeforeTheHead) {
  // No blob writer, or no spool for a store that shares no file, found while the upstream
  // prepares its answer: readers are told before any head, so they answer with an error instead
  // of announcing a body they cannot send. (The upstream takes its time, so that the set-up runs
  // before its answer comes.)
  server_.route("/s.tgz", testing::delayed(100ms, testing::respond(200, "bytes")));
  blob::FaultInjectingBlobStore no_writer(*blobs_);
  no_writer.set_faults({.fail_begin_write = true});
  UnsharedFiles unshared(*blobs_);
  ObjectFetcher a(no_writer, metrics_, dir_ + "/spool");
  ObjectFetcher b(unshared, metrics_, dir_ + "/no-such-dir");
  for (ObjectFetcher* broken : {&a, &b}) {
    auto t = broken->fetch(connection_, "k", "party", at("/s.tgz"),
                           [](const blob::BlobInfo&) { return Status{}; });
    ASSERT_TRUE(t);
    auto started = head_outcome(**t);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Code::kUnavailable);
  }
}

TEST_F(ObjectFetcherTest, TransfersBeyondTheWorkerCapWaitTheirTurn) {
  ObjectFetcher one(*blobs_, metrics_, dir_ + "/spool", /*max_workers=*/1);
  server_.route("/first.tgz", testing::delayed(200ms, testing::respond(200, "first")));
  auto first = at("/first.tgz");
  auto ok = [](const blob::BlobInfo&) { return Status{}; };
  auto a = one.fetch(connection_, "first", "party", first, ok);
  auto b = one.fetch(connection_, "second", "party", serve("/second.tgz", "second"), ok);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_TRUE((*b)->wait_finished());
  EXPECT_EQ(one.threads(), 1u);
  auto done_a = (*a)->progress();
  EXPECT_TRUE(done_a.complete);  // the second ran after the first, on the same worker
}

TEST_F(ObjectFetcherTest, StopFailsQueuedTransfersAndWakesTheirReaders) {
  auto one = std::make_unique<ObjectFetcher>(*blobs_, metrics_, dir_ + "/spool", 1);
  server_.route("/busy.tgz", testing::delayed(300ms, testing::respond(200, "busy")));
  auto busy = at("/busy.tgz");
  auto ok = [](const blob::BlobInfo&) { return Status{}; };
  auto a = one->fetch(connection_, "busy", "party", busy, ok);
  auto queued = one->fetch(connection_, "queued", "party", serve("/q.tgz", "q"), ok);
  ASSERT_TRUE(a);
  ASSERT_TRUE(queued);
  std::promise<void> told;
  (*queued)->when_started([&told] { told.set_value(); });
  one->stop();
  EXPECT_EQ(told.get_future().wait_for(0s), std::future_status::ready);
  EXPECT_FALSE((*queued)->started());
  EXPECT_EQ(server_.requests("/q.tgz"), 0);  // never asked the upstream
  EXPECT_FALSE(one->fetch(connection_, "late", "party", serve("/late.tgz", "late"), ok));
}

// Descriptors of this process open on files under `dir` (spools are unnamed files there). Other
// descriptors come and go with the test server's connections and the blob store's temp files.
size_t open_fds_under(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target.string().starts_with(dir)) ++n;
  }
  return n;
}

// A store whose writers keep no file to share (as a remote one): readers read a spool, made
// ahead while a worker is idle, and every spool is closed in the end.
TEST_F(ObjectFetcherTest, SpareSpoolsAndTransfersLeaveNoDescriptorBehind) {
  const std::string spools = dir_ + "/spool";
  UnsharedFiles unshared(*blobs_);
  ASSERT_EQ(open_fds_under(spools), 0u);
  {
    ObjectFetcher f(unshared, metrics_, dir_ + "/spool");
    auto ok = [](const blob::BlobInfo&) { return Status{}; };
    for (int i = 0; i < 3; ++i) {  // the second and third take spools made while idle
      std::string path = "/fd" + std::to_string(i) + ".tgz";
      auto t = f.fetch(connection_, path, "party", serve(path, "body " + std::to_string(i)), ok);
      ASSERT_TRUE(t);
      auto got = read_all(**t);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, "body " + std::to_string(i));
    }
    // The three transfers' spools (kept for joiners) and at least one made ahead.
    for (int spin = 0; spin < 1000 && open_fds_under(spools) <= 3; ++spin)
      std::this_thread::sleep_for(1ms);
    EXPECT_GT(open_fds_under(spools), 3u);
    f.stop();
  }
  EXPECT_EQ(open_fds_under(spools), 0u);
}

// The filesystem store shares the file it writes: readers read the blob itself, no spool is
// made (nor made ahead), and the blob's descriptors go with the transfers.
TEST_F(ObjectFetcherTest, ReadersReadTheBlobBeingWrittenNotASpool) {
  const std::string spools = dir_ + "/spool", stored = dir_ + "/blobs/sha256";
  {
    ObjectFetcher f(*blobs_, metrics_, dir_ + "/spool");
    auto ok = [](const blob::BlobInfo&) { return Status{}; };
    for (int i = 0; i < 3; ++i) {
      std::string path = "/own" + std::to_string(i) + ".tgz", body = "own body " + path;
      auto t = f.fetch(connection_, path, "party", serve(path, body), ok);
      ASSERT_TRUE(t);
      auto got = read_all(**t);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, body);
      // Once committed, the descriptor readers use is the stored blob's.
      auto file =
          std::filesystem::read_symlink("/proc/self/fd/" + std::to_string((*t)->progress().fd));
      EXPECT_EQ(file.string(),
                blobs_->local_path(crypto::digest_hex(crypto::Algo::kSha256, body)).value_or("?"));
    }
    std::this_thread::sleep_for(20ms);  // an idle worker would make spools ahead by now
    EXPECT_EQ(open_fds_under(spools), 0u);
    EXPECT_EQ(open_fds_under(stored), 3u);  // the three transfers, kept for joiners
    f.stop();
  }
  EXPECT_EQ(open_fds_under(stored), 0u);
}

TEST_F(ObjectFetcherTest, StopDoesNotWaitForASlowUpstream) {
  server_.route("/slow.tgz", testing::delayed(5s, testing::respond(200, "slow")));
  auto r = at("/slow.tgz");
  auto t = fetch("slow", r);
  ASSERT_TRUE(t);
  for (int spin = 0; spin < 1000 && server_.requests("/slow.tgz") == 0; ++spin)
    std::this_thread::sleep_for(1ms);  // the GET is out, the upstream is thinking
  auto start = std::chrono::steady_clock::now();
  fetcher_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE((*t)->started());
}

}  // namespace
}  // namespace arca::upstream
