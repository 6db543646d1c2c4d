#pragma once
// Answers that may wait on an upstream registry (a packument merged with an external
// connection's document that is not cached), for every format: run on the pull-through task pool
// (util::TaskPool), so that a slow or distant upstream holds none of the server's few blocking
// threads, which every other request needs for the store and the disk. The response is deferred
// (http::Deferred) until the answer is ready.
#include <functional>

#include "formats/format_handler.h"
#include "util/task_pool.h"

namespace arca::formats {

using Answer = std::function<http::Response(const http::Request&, const RequestContext&)>;

// `answer(request, context)` posted to `pool` at once, with copies of the request (without its
// body) and of the context (the caller's are gone by then); the deferred response returned
// completes with its answer, whether the server starts it before or after the task ends. An
// exception becomes `format`'s 500; a pool that is stopping, its 503 (not deferred). Neither
// blocks, so an I/O thread may call it. `format` and whatever `answer` uses must outlive the
// pool's tasks.
http::Response answer_on(util::TaskPool& pool, const FormatHandler& format,
                         const http::Request& request, const RequestContext& context,
                         Answer answer);

}  // namespace arca::formats
