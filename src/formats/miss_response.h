#pragma once
// The response to a pull-through miss, for every format: deferred until the upstream answered
// (no thread waits for it), then the format's head with the body sent from the transfer's spool
// as the bytes arrive (sendfile from the I/O thread), or the format's error when the transfer
// failed before its head.
#include <functional>
#include <memory>

#include "http/message.h"
#include "upstream/object_fetcher.h"
#include "util/error.h"

namespace arca::formats {

// `head`: the status and headers of a successful answer (its body and length are set here).
// `started` runs once the upstream answered 200; `failed` renders the transfer's failure before
// its head. Both run on whichever thread completes the step (a transfer's worker or the caller's)
// and must not block.
http::Response miss_response(std::shared_ptr<upstream::Transfer> transfer, http::Response head,
                             std::function<void()> started,
                             std::function<http::Response(const Error&)> failed);

}  // namespace arca::formats
