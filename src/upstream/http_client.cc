#include "upstream/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "upstream/curl_pool.h"
#include "upstream/transfer.h"

namespace arca::upstream {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// The URL without user information, for messages; kInvalidArgument unless it is an absolute
// http or https URL.
Result<std::string> checked_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), &curl_url_cleanup);
  if (!u) return internal_error("curl_url: out of memory");
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK)
    return invalid_argument("Invalid upstream URL '" + url + "': " + curl_url_strerror(rc));
  char* scheme = nullptr;
  curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0);
  const std::string s = scheme ? scheme : "";
  curl_free(scheme);
  if (s != "http" && s != "https")
    return invalid_argument("Unsupported upstream URL scheme '" + s + "' (only http and https)");
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  char* shown = nullptr;
  curl_url_get(u.get(), CURLUPART_URL, &shown, 0);
  std::string out = shown ? shown : "";
  curl_free(shown);
  return out;
}

// "Name: value" lines for libcurl ("Name;" sends an empty value); rejects header injection.
Result<SlistPtr> header_list(const FetchRequest& request) {
  SlistPtr list(nullptr, &curl_slist_free_all);
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.find_first_of(":\r\n\t ") != std::string::npos ||
        value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return invalid_argument("Invalid request header '" + name + "'");
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (!grown) return internal_error("curl_slist_append: out of memory");
    (void)list.release();  // `grown` is the same list, one line longer
    list.reset(grown);
  }
  return list;
}

// The options common to every attempt of one get(); the callbacks are installed per attempt.
Status configure(CURL* easy, const ClientOptions& options, const FetchRequest& request,
                 curl_slist* headers, char* error_buffer) {
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_HTTPGET, 1L);
  set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: this is a multi-threaded process
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, long(std::max(0, options.max_redirects)));
  // Always set, "" included, so that the *_proxy environment variables are ignored.
  set(CURLOPT_PROXY, options.proxy.c_str());
  set(CURLOPT_NOPROXY, "");
  set(CURLOPT_CONNECTTIMEOUT_MS, long(options.connect_timeout.count()));
  set(CURLOPT_USERAGENT, options.user_agent.c_str());
  set(CURLOPT_HTTPHEADER, headers);
  // Raw bytes: callers hash exactly what the upstream sent (no Accept-Encoding is sent either).
  set(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_BUFFERSIZE, options.receive_buffer_bytes);
  if (rc != CURLE_OK)
    return internal_error(std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
  return {};
}

// How often an idle transfer wakes up to check its timeouts (libcurl alone: once a second).
milliseconds poll_tick(const ClientOptions& o) {
  return std::clamp(std::min(o.first_byte_timeout, o.idle_timeout) / 8, milliseconds(5),
                    milliseconds(250));
}

std::chrono::microseconds micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

}  // namespace

std::optional<std::string> ResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (std::equal(k.begin(), k.end(), name.begin(), name.end(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
      return v;
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  explicit Impl(const ClientOptions& o) : options(o) {}
  const ClientOptions& options;  // HttpClient::options_, which outlives this
  detail::CurlPool pool;

  Result<FetchResult> fetch(const FetchRequest& request, FetchSink& sink, uint64_t max_body);
};

HttpClient::HttpClient(ClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_)) {}

HttpClient::~HttpClient() = default;

Result<FetchResult> HttpClient::get(const FetchRequest& request, FetchSink& sink) {
  return impl_->fetch(request, sink, options_.max_body_bytes);
}

Result<HttpClient::Buffered> HttpClient::get_buffered(const FetchRequest& request,
                                                      uint64_t max_bytes) {
  uint64_t cap = options_.max_body_bytes;
  if (max_bytes && (!cap || max_bytes < cap)) cap = max_bytes;
  Buffered out;
  FetchSink sink;
  sink.on_head = [&](const ResponseHead& head) {
    // Bounded even without a cap: Content-Length is the upstream's claim, not a fact.
    constexpr uint64_t kMaxReserve = 16 << 20;
    if (head.content_length) out.body.reserve(std::min(*head.content_length, kMaxReserve));
    return true;
  };
  sink.on_data = [&](std::string_view chunk) {
    out.body.append(chunk);
    return true;
  };
  ARCA_ASSIGN_OR_RETURN(out.result, impl_->fetch(request, sink, cap));
  return out;
}

Result<FetchResult> HttpClient::Impl::fetch(const FetchRequest& request, FetchSink& sink,
                                            uint64_t max_body) {
  const auto started = Clock::now();
  ARCA_ASSIGN_OR_RETURN(const std::string shown, checked_url(request.url));
  ARCA_ASSIGN_OR_RETURN(SlistPtr headers, header_list(request));
  char error_buffer[CURL_ERROR_SIZE];
  // Declared last: the lease resets the handle, which points at the two above, before they go.
  auto lease = pool.acquire();
  if (!lease) return internal_error("libcurl: out of memory");
  ARCA_TRY(configure(lease.easy(), options, request, headers.get(), error_buffer));
  const int max_retries = std::max(0, options.max_retries);
  for (int attempt = 1;; ++attempt) {
    error_buffer[0] = '\0';
    detail::Attempt a{lease.easy(), options, sink, shown, max_body, attempt > max_retries};
    const CURLcode rc = a.run(lease, poll_tick(options));
    Error error;
    bool retry = true;  // a swallowed answer is retried: it was not the final attempt
    if (a.failure) {
      error = *a.failure;
      retry = a.failure_retryable;
    } else if (!a.swallow && rc != CURLE_OK) {
      error =
          detail::with_kind(unavailable("GET " + shown + ": " +
                                        (error_buffer[0] ? error_buffer : curl_easy_strerror(rc)) +
                                        " (curl error " + std::to_string(int(rc)) + ")"),
                            detail::failure_kind(rc));
      retry = !a.delivered && detail::transient(rc);
    } else if (!a.swallow) {
      FetchResult result{std::move(a.head), a.body_bytes, attempt};
      result.time_to_first_byte = micros(a.first_byte.value_or(a.start) - a.start);
      result.total_time = micros(Clock::now() - started);
      return result;
    }
    if (!retry || a.final_attempt) return error;
    // The back-off, in poll ticks: a cancelled transfer (the server stopping) ends now.
    const auto resume = Clock::now() + options.retry_backoff * (1 << std::min(attempt - 1, 10));
    while (Clock::now() < resume) {
      if (sink.cancelled && sink.cancelled()) return unavailable("GET " + shown + ": cancelled");
      std::this_thread::sleep_for(
          std::min<Clock::duration>(poll_tick(options), resume - Clock::now()));
    }
  }
}

}  // namespace arca::upstream
