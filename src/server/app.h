#pragma once
// The server object: owns the stores, the key cache, the control plane and the front doors, and
// routes each HTTP request to one of them. Built from a Config so tests can build their own.
#include <memory>
#include <string>

#include "auth/access_keys.h"
#include "config/config.h"
#include "http/message.h"
#include "store/metadata_store.h"
#include "util/error.h"

namespace arca::server {

// Paths inside a data directory.
struct DataDir {
  std::string root;
  std::string metadata_db() const { return root + "/arca.db"; }
  std::string blobs() const { return root + "/blobs"; }
  std::string spool() const { return root + "/tmp"; }
};

// Opens (creating if needed) the metadata store of a data dir; for the offline CLI too.
Result<std::unique_ptr<store::MetadataStore>> open_metadata_store(const DataDir& dir);

class App {
 public:
  // Creates the data dir if needed, opens the stores, and on an empty store creates the first
  // account and the administrator key (DATA/admin.credentials).
  static Result<std::unique_ptr<App>> open(config::Config config);
  ~App();

  const auth::BootstrapResult& bootstrap() const;
  struct Urls {
    std::string listen;  // http://HOST:PORT actually bound (the port is real even for port 0)
    std::string public_url;  // what endpoints advertise: configured, else `listen`
  };
  // Binds the listener.
  Result<Urls> start();
  // Serves until SIGTERM/SIGINT (when handle_signals) or stop(); returns after the drain.
  void run(bool handle_signals);
  void stop();

 private:
  App();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arca::server
