#include "server/app.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "api/control_api.h"
#include "auth/key_cache.h"
#include "auth/keyring.h"
#include "auth/token.h"
#include "blob/fs/fs_blob_store.h"
#include "core/control_plane.h"
#include "core/package_groups/package_groups.h"
#include "core/packages.h"
#include "core/pull_through.h"
#include "events/metrics.h"
#include "formats/endpoint.h"
#include "formats/npm/npm_format.h"
#include "http/server.h"
#include "store/sqlite/sqlite_metadata_store.h"

namespace arca::server {

namespace fs = std::filesystem;

Result<std::unique_ptr<store::MetadataStore>> open_metadata_store(const DataDir& dir) {
  std::error_code ec;
  fs::create_directories(dir.root, ec);
  if (ec) return unavailable("cannot create data dir " + dir.root + ": " + ec.message());
  ARCA_ASSIGN_OR_RETURN(auto s, store::SqliteMetadataStore::open(dir.metadata_db()));
  return std::unique_ptr<store::MetadataStore>(std::move(s));
}

namespace {

// Re-reads access keys every second so keys created or deleted offline (arca access-key ...)
// take effect on a running server, and deleted keys' tokens die.
class KeyRefresher {
 public:
  explicit KeyRefresher(auth::KeyCache& keys)
      : thread_([this, &keys] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
            lock.unlock();
            if (auto st = keys.refresh(); !st) spdlog::warn("key refresh: {}", st.error().message);
            lock.lock();
          }
        }) {}
  ~KeyRefresher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

struct App::Impl final : http::Handler {
  // A transfer or a pull-through task calls back into the formats and the HTTP sessions whose
  // responses wait on it: both stop before any member is destroyed.
  ~Impl() override {
    if (pull) {
      pull->tasks.stop();  // its tasks may wait on transfers
      pull->fetcher.stop();
    }
  }

  config::Config config;
  DataDir dir;
  std::unique_ptr<store::MetadataStore> store;
  std::unique_ptr<blob::FsBlobStore> blobs;
  std::unique_ptr<auth::Keyring> keyring;
  std::unique_ptr<auth::KeyCache> keys;
  std::unique_ptr<auth::TokenService> tokens;
  std::unique_ptr<core::ControlPlane> control;
  std::unique_ptr<core::Packages> packages_core;
  std::unique_ptr<core::PackageGroups> groups;
  events::Registry metrics;
  std::unique_ptr<core::PullThroughServices> pull;
  std::unique_ptr<formats::npm::NpmFormat> npm_format;
  std::unique_ptr<api::ControlApi> control_api;
  std::unique_ptr<formats::PackageEndpoints> packages;
  std::unique_ptr<http::Server> http;
  std::unique_ptr<KeyRefresher> refresher;
  auth::BootstrapResult bootstrap;

  enum class Door { kControl, kPackages, kService, kMetrics, kNone };
  static Door door_for(const http::Request& r) {
    if (r.path.starts_with("/v1/")) return Door::kControl;
    if (r.path == "/healthz" || r.path == "/readyz") return Door::kService;
    if (r.path == "/metrics") return Door::kMetrics;
    if (formats::parse_endpoint_path(r.path)) return Door::kPackages;
    return Door::kNone;
  }

  http::BodyPolicy body_policy(const http::Request& head) const override {
    switch (door_for(head)) {
      case Door::kControl:
        return control_api->body_policy(head);
      case Door::kPackages:
        return packages->body_policy(head);
      default:
        return {http::BodyMode::kReject, 0};
    }
  }

  static http::Response service_ok() {
    http::Response ok;
    ok.headers.set("Content-Type", "text/plain");
    ok.body = std::string("ok\n");
    return ok;
  }

  // Prometheus text exposition; unauthenticated, like /healthz (labels are repository and
  // connection names only).
  http::Response metrics_text() const {
    http::Response r;
    r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = metrics.render();
    return r;
  }

  http::Response handle(http::Request& r) override {
    switch (door_for(r)) {
      case Door::kControl:
        return control_api->handle(r);
      case Door::kPackages:
        return packages->handle(r);
      case Door::kService:
        return service_ok();
      case Door::kMetrics:
        return metrics_text();
      case Door::kNone:
        break;
    }
    return formats::json_error(404, "Not found: " + r.path);
  }

  // Package reads answerable from memory, and the health checks, skip the blocking pool.
  std::optional<http::Response> try_fast(http::Request& r) override {
    switch (door_for(r)) {
      case Door::kPackages:
        return packages->try_fast(r);
      case Door::kService:
        return service_ok();
      default:
        return std::nullopt;
    }
  }

  http::Response transport_error(const http::Request& head, int status,
                                 std::string message) override {
    if (door_for(head) == Door::kControl)
      return control_api->transport_error(head, status, std::move(message));
    return formats::json_error(status, message);
  }
};

App::App() : impl_(std::make_unique<Impl>()) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::open(config::Config config) {
  std::unique_ptr<App> app(new App());
  Impl& m = *app->impl_;
  m.config = std::move(config);
  m.dir.root = m.config.data_dir;
  ARCA_ASSIGN_OR_RETURN(m.store, open_metadata_store(m.dir));
  ARCA_ASSIGN_OR_RETURN(m.blobs, blob::FsBlobStore::open(m.dir.blobs()));
  m.blobs->set_prefetched_temps(2);  // uploads do not wait for an inode allocation
  ARCA_ASSIGN_OR_RETURN(auto keyring, auth::Keyring::load_or_create(m.dir.root));
  m.keyring = std::make_unique<auth::Keyring>(std::move(keyring));
  ARCA_ASSIGN_OR_RETURN(m.bootstrap, auth::bootstrap_if_empty(*m.store, *m.keyring, m.dir.root));
  m.keys = std::make_unique<auth::KeyCache>(*m.store, *m.keyring);
  ARCA_TRY(m.keys->reload());
  m.tokens = std::make_unique<auth::TokenService>(*m.keyring, *m.keys);
  m.control = std::make_unique<core::ControlPlane>(*m.store, m.config, *m.tokens);
  m.packages_core = std::make_unique<core::Packages>(*m.store, *m.blobs, *m.control);
  m.groups = std::make_unique<core::PackageGroups>(*m.store, *m.control,
                                                   m.config.max_package_groups_per_domain);
  m.packages_core->set_origin_policy(m.groups.get());
  m.groups->on_change([pk = m.packages_core.get()] { pk->invalidate_caches(); });
  std::error_code ec;
  fs::create_directories(m.dir.spool(), ec);
  m.pull = std::make_unique<core::PullThroughServices>(m.config, *m.store, *m.blobs,
                                                       *m.packages_core, m.metrics, m.dir.spool());
  m.npm_format = std::make_unique<formats::npm::NpmFormat>(*m.packages_core, m.pull->pull);
  return app;
}

const auth::BootstrapResult& App::bootstrap() const { return impl_->bootstrap; }

Result<App::Urls> App::start() {
  Impl& m = *impl_;
  std::error_code ec;
  fs::create_directories(m.dir.spool(), ec);
  http::ServerOptions opts;
  opts.listen_host = m.config.listen_host;
  opts.listen_port = m.config.listen_port;
  opts.io_threads = m.config.io_threads;
  opts.blocking_threads = m.config.blocking_threads;
  opts.spool_dir = m.dir.spool();
  opts.access_log = m.config.access_log;
  m.http = std::make_unique<http::Server>(opts, m);
  ARCA_ASSIGN_OR_RETURN(uint16_t port, m.http->start());
  bool v6 = m.config.listen_host.find(':') != std::string::npos;
  Urls urls;
  urls.listen = "http://" + (v6 ? "[" + m.config.listen_host + "]" : m.config.listen_host) + ":" +
                std::to_string(port);
  std::string url = m.config.public_url.empty() ? urls.listen : m.config.public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  urls.public_url = url;
  m.control_api =
      std::make_unique<api::ControlApi>(*m.control, *m.packages_core, *m.groups, *m.keys, url);
  m.packages = formats::package_endpoints(*m.tokens, *m.packages_core, url);
  m.packages->add_format("npm", *m.npm_format);
  m.refresher = std::make_unique<KeyRefresher>(*m.keys);
  return urls;
}

void App::run(bool handle_signals) { impl_->http->run(handle_signals); }

void App::stop() {
  if (impl_->http) impl_->http->stop();
}

}  // namespace arca::server
