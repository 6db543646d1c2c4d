#include "upstream/transfer.h"

#include <cctype>
#include <charconv>
#include <exception>
#include <utility>

namespace arca::upstream::detail {
namespace {

// A retried error answer's body is read (so that the connection stays reusable) up to this size;
// a longer one is cut off, which only costs the connection.
constexpr uint64_t kMaxSwallowedBytes = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Error with_kind(Error e, const char* kind) {
  e.reason = kind;
  return e;
}

const char* failure_kind(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return kKindTimeout;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      return kKindConnect;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return kKindReset;
    default:
      return kKindOther;
  }
}

// The next attempt may get a fresh connection or a healthier server; other failures (redirect
// loop, TLS verification, unsupported redirect scheme) would repeat.
bool transient(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool Attempt::fail(Error e, bool retryable) {
  failure = std::move(e);
  failure_retryable = retryable && !delivered;
  return false;
}

void Attempt::saw_bytes() {
  last_byte = Clock::now();
  if (!first_byte) first_byte = last_byte;
}

Error Attempt::too_large(uint64_t bytes) const {
  return Error{Code::kTooLarge, "GET " + display_url + ": the body (" + std::to_string(bytes) +
                                    " bytes or more) exceeds the limit of " +
                                    std::to_string(max_body_bytes) + " bytes"};
}

// Called once per attempt: at the first body byte, or after a complete empty body. Decides
// between swallowing (retryable status, attempts left) and delivering the head to the sink.
bool Attempt::begin_body(bool has_body) {
  if (!final_attempt && retryable_status(head.status)) {
    swallow = true;
    return true;
  }
  curl_off_t length = -1;
  curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length >= 0) {
    head.content_length = uint64_t(length);
  } else if (auto h = head.header("content-length"); h && !head.header("transfer-encoding")) {
    head.content_length = parse_u64(*h);
  }
  char* url = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
  head.effective_url = url ? url : "";
  // Only when a body follows: a 304 may announce the length of a body it does not send.
  if (has_body && max_body_bytes && head.content_length && *head.content_length > max_body_bytes)
    return fail(too_large(*head.content_length), false);
  delivered = true;
  if (sink.on_head && !sink.on_head(head))
    return fail(internal_error("GET " + display_url + ": the sink refused the response head"),
                false);
  return true;
}

void Attempt::header_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {  // a new response
    head = ResponseHead{};
    in_head = true;
    const size_t sp = line.find(' ');
    if (sp != std::string_view::npos)
      std::from_chars(line.data() + sp + 1, line.data() + line.size(), head.status);
  } else if (!in_head) {
    // Trailers after a chunked body: not part of the head the sink saw.
  } else if (line.empty()) {
    in_head = false;
  } else if ((line.front() == ' ' || line.front() == '\t') && !head.headers.empty()) {
    head.headers.back().second += ' ';  // obsolete line folding
    head.headers.back().second += trim(line);
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(trim(line.substr(0, colon)));
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    head.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  }
}

// The callbacks are the boundary with libcurl's C frames, which no exception may cross.
size_t Attempt::on_header(char* data, size_t size, size_t n, void* self) {
  auto& a = *static_cast<Attempt*>(self);
  try {
    a.saw_bytes();
    a.header_line(std::string_view(data, size * n));
    return size * n;
  } catch (const std::exception& e) {
    return a.threw(e.what());
  }
}

size_t Attempt::on_write(char* data, size_t size, size_t n, void* self) {
  auto& a = *static_cast<Attempt*>(self);
  try {
    return a.write(std::string_view(data, size * n));
  } catch (const std::exception& e) {
    return a.threw(e.what());
  } catch (...) {
    return a.threw("an exception");
  }
}

size_t Attempt::threw(const char* what) {
  fail(internal_error("GET " + display_url + ": " + what + " while receiving the response"), false);
  return 0;
}

size_t Attempt::write(std::string_view chunk) {
  saw_bytes();
  if (!delivered && !swallow && !begin_body(true)) return 0;
  if (swallow) return (body_bytes += chunk.size()) > kMaxSwallowedBytes ? 0 : chunk.size();
  if (max_body_bytes && body_bytes + chunk.size() > max_body_bytes) {
    fail(too_large(body_bytes + chunk.size()), false);
    return 0;
  }
  body_bytes += chunk.size();
  if (!chunk.empty() && sink.on_data && !sink.on_data(chunk)) {
    fail(internal_error("GET " + display_url + ": the sink stopped the transfer"), false);
    return 0;
  }
  return chunk.size();
}

int Attempt::on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& a = *static_cast<Attempt*>(self);
  const auto now = Clock::now();
  const auto& o = a.options;
  try {
    if (a.sink.cancelled && a.sink.cancelled()) {
      a.fail(unavailable("GET " + a.display_url + ": cancelled"), false);
      return 1;
    }
    if (!a.first_byte && now - a.start > o.first_byte_timeout) {
      a.fail(with_kind(unavailable("GET " + a.display_url +
                                   ": timed out waiting for the first byte after " +
                                   std::to_string(o.first_byte_timeout.count()) + " ms"),
                       kKindTimeout),
             true);
      return 1;
    }
    if (a.first_byte && now - a.last_byte > o.idle_timeout) {
      a.fail(with_kind(unavailable("GET " + a.display_url + ": no data for " +
                                   std::to_string(o.idle_timeout.count()) + " ms (idle timeout)"),
                       kKindTimeout),
             true);
      return 1;
    }
    return 0;
  } catch (const std::exception&) {
    return 1;  // out of memory for the message: libcurl's own "callback aborted" error stands
  }
}

CURLcode Attempt::run(const CurlPool::Lease& lease, std::chrono::milliseconds tick) {
  CURL* e = lease.easy();
  CURLM* multi = lease.multi();
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Attempt::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &Attempt::on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, this);
  CURLMcode mc = curl_multi_add_handle(multi, e);
  for (int running = 1; mc == CURLM_OK;) {
    mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK || running == 0) break;
    if (sink.on_waiting && !delivered) {
      auto waiting = std::exchange(sink.on_waiting, nullptr);
      waiting();
    }
    mc = curl_multi_poll(multi, nullptr, 0, int(tick.count()), nullptr);
  }
  std::optional<CURLcode> result;
  int queued = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &queued))
    if (m->msg == CURLMSG_DONE && m->easy_handle == e) result = m->data.result;
  curl_multi_remove_handle(multi, e);
  if (mc != CURLM_OK || !result) {
    fail(internal_error(std::string("curl_multi: ") + curl_multi_strerror(mc)), false);
    return CURLE_FAILED_INIT;
  }
  // An empty body calls no write callback: the head is delivered (or swallowed) now.
  if (*result == CURLE_OK && !failure && !delivered && !swallow) begin_body(false);
  return *result;
}

}  // namespace arca::upstream::detail
