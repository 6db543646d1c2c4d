#include "formats/upstream_wait.h"

#include <spdlog/spdlog.h>

#include <memory>

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

}  // namespace

http::Response answer_on(util::TaskPool& pool, const FormatHandler& format,
                         const http::Request& request, const RequestContext& context,
                         Answer answer) {
  auto d = std::make_shared<Detached>(Detached{request, context.endpoint, context.caller,
                                               context.repository, context.repository_url});
  d->request.body.clear();  // a bodiless read; a spooled body would be gone anyway
  d->request.spooled.reset();
  http::Response r;
  r.body = http::Deferred{
      [&pool, &format, d, answer = std::move(answer)](std::function<void(http::Response)> done) {
        auto finish = std::make_shared<std::function<void(http::Response)>>(std::move(done));
        bool queued = pool.post([&format, d, answer, finish] {
          RequestContext ctx{d->endpoint, d->caller, d->repository, d->repository_url};
          http::Response out;
          try {
            out = answer(d->request, ctx);
          } catch (const std::exception& e) {
            spdlog::error("{} {} (request {}): {}", d->request.method, d->request.target,
                          d->request.request_id, e.what());
            out = format.error(500, "internal error");
          }
          (*finish)(std::move(out));
        });
        if (!queued) (*finish)(format.error(503, "the server is shutting down"));
      }};
  return r;
}

}  // namespace arca::formats
