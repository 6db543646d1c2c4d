#include "formats/upstream_wait.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <optional>

namespace arca::formats {

namespace {

// What a RequestContext refers to, owned by the task.
struct Detached {
  http::Request request;
  EndpointRef endpoint;
  auth::Principal caller;
  store::RepositoryRef repository;
  std::string repository_url;
};

// The task's answer meets the server's `done`: whichever comes second completes the response.
struct Rendezvous {
  std::mutex mu;
  std::optional<http::Response> answer;
  std::function<void(http::Response)> done;

  void answered(http::Response r) {
    std::unique_lock lock(mu);
    if (!done) {
      answer = std::move(r);
      return;
    }
    auto d = std::move(done);
    lock.unlock();
    d(std::move(r));
  }
  void started(std::function<void(http::Response)> d) {
    std::unique_lock lock(mu);
    if (!answer) {
      done = std::move(d);
      return;
    }
    http::Response r = std::move(*answer);
    lock.unlock();
    d(std::move(r));
  }
};

}  // namespace

http::Response answer_on(util::TaskPool& pool, const FormatHandler& format,
                         const http::Request& request, const RequestContext& context,
                         Answer answer) {
  auto d = std::make_shared<Detached>(Detached{request, context.endpoint, context.caller,
                                               context.repository, context.repository_url});
  d->request.body.clear();  // a bodiless read; a spooled body would be gone anyway
  d->request.spooled.reset();
  auto meet = std::make_shared<Rendezvous>();
  // Posted now, not when the server starts the deferred response: the task need not wait for
  // this response to travel to the I/O thread first.
  bool queued = pool.post([&format, d, answer = std::move(answer), meet] {
    RequestContext ctx{d->endpoint, d->caller, d->repository, d->repository_url};
    http::Response out;
    try {
      out = answer(d->request, ctx);
    } catch (const std::exception& e) {
      spdlog::error("{} {} (request {}): {}", d->request.method, d->request.target,
                    d->request.request_id, e.what());
      out = format.error(500, "internal error");
    }
    meet->answered(std::move(out));
  });
  if (!queued) return format.error(503, "the server is shutting down");
  http::Response r;
  r.body = http::Deferred{
      [meet](std::function<void(http::Response)> done) { meet->started(std::move(done)); }};
  return r;
}

}  // namespace arca::formats
