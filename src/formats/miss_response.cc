#include "formats/miss_response.h"

#include <utility>

namespace arca::formats {

namespace {

// The transfer's spool as a body the server sends while it grows.
class TransferBody final : public http::GrowingFile {
 public:
  explicit TransferBody(std::shared_ptr<upstream::Transfer> transfer)
      : transfer_(std::move(transfer)) {}

  View view() override {
    upstream::Transfer::Progress p = transfer_->progress();
    View v{p.fd, p.readable, p.complete, std::nullopt};
    if (p.error) v.failed = "upstream transfer failed: " + p.error->message;
    return v;
  }
  void when_more(uint64_t seen, std::function<void()> wake) override {
    transfer_->when_more(seen, std::move(wake));
  }

 private:
  std::shared_ptr<upstream::Transfer> transfer_;
};

}  // namespace

http::Response miss_response(std::shared_ptr<upstream::Transfer> transfer, http::Response head,
                             std::function<void()> started,
                             std::function<http::Response(const Error&)> failed) {
  http::Response r;
  r.body = http::Deferred{
      [transfer, head = std::move(head), started = std::move(started),
       failed = std::move(failed)](std::function<void(http::Response)> done) mutable {
        transfer->when_started([transfer, head = std::move(head), started = std::move(started),
                                failed = std::move(failed), done = std::move(done)]() mutable {
          auto length = transfer->started();
          if (!length) {
            done(failed(length.error()));
            return;
          }
          if (started) started();
          head.content_length = *length;
          head.body = http::GrowingBody(std::make_shared<TransferBody>(transfer));
          done(std::move(head));
        });
      }};
  return r;
}

}  // namespace arca::formats
