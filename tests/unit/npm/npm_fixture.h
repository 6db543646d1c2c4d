#pragma once
// One NpmFormat over a real SQLite store and filesystem blob store in a temp dir, with account
// 111122223333, domain `dom` and repository `repo` made: the base of the npm unit tests' fixtures.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "auth/access_keys.h"
#include "auth/key_cache.h"
#include "auth/keyring.h"
#include "auth/token.h"
#include "blob/fs/fs_blob_store.h"
#include "config/config.h"
#include "core/control_plane.h"
#include "core/pull_through.h"
#include "events/metrics.h"
#include "formats/endpoint.h"
#include "formats/npm/npm_format.h"
#include "store/sqlite/sqlite_metadata_store.h"
#include "util/clock.h"

namespace arca::formats::npm::testing {

inline constexpr const char* kAccount = "111122223333";
inline const std::string kPrefix = std::string("/npm/d/dom-") + kAccount + "/repo/";

class NpmFixture : public ::testing::Test {
 protected:
  // `prepare_caller` runs after the account exists and before the domain is made (a test that
  // needs a real access key makes it there and sets caller_).
  void set_up(const char* name, const std::function<void()>& prepare_caller = {}) {
    std::string tmpl = std::string("/tmp/") + name + "_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = std::move(store::SqliteMetadataStore::open(dir_ + "/meta.db").value());
    blobs_ = std::move(blob::FsBlobStore::open(dir_ + "/blobs").value());
    keyring_ = std::make_unique<auth::Keyring>(auth::Keyring::from_key(std::string(32, 'k')));
    keys_ = std::make_unique<auth::KeyCache>(*store_, *keyring_);
    tokens_ = std::make_unique<auth::TokenService>(*keyring_, *keys_);
    control_ = std::make_unique<core::ControlPlane>(*store_, config_, *tokens_);
    packages_ = std::make_unique<core::Packages>(*store_, *blobs_, *control_);
    ASSERT_TRUE(store_->create_account({kAccount, "acct", 0}));
    if (prepare_caller) prepare_caller();
    ASSERT_TRUE(control_->create_domain(caller_, "dom", "", {}));
    ASSERT_TRUE(control_->create_repository(caller_, {kAccount, "dom", "repo"}, "", {}, {}));
    pull_ = std::make_unique<core::PullThroughServices>(config_, *store_, *blobs_, *packages_,
                                                        registry_, dir_);
    npm_ = std::make_unique<NpmFormat>(*packages_, pull_->pull);
  }
  void TearDown() override {
    if (pull_) pull_->fetcher.stop();  // before the format its responses call back into
    std::filesystem::remove_all(dir_);
  }

  // A real access key for caller_: pass as set_up's `prepare_caller` when tokens are verified.
  void make_access_key() {
    auto key = auth::create_access_key(*store_, *keyring_, kAccount, "alice");
    ASSERT_TRUE(key);
    ASSERT_TRUE(keys_->reload());
    caller_ = auth::Principal{kAccount, "alice", key->key.id};
  }
  // The package front door over npm_ (with the cache-only resolver the fast path needs) and a
  // token of caller_ for it.
  void make_endpoints() {
    endpoints_ = package_endpoints(*tokens_, *packages_, "http://127.0.0.1:9");
    endpoints_->add_format("npm", *npm_);
    token_ = tokens_->issue(caller_, kAccount, "dom", now_epoch_seconds() + 3600);
  }

  std::string dir_;
  config::Config config_;
  auth::Principal caller_{kAccount, "alice", "AKIAAAAAAAAAAAAAAAA1"};
  std::unique_ptr<store::SqliteMetadataStore> store_;
  std::unique_ptr<blob::FsBlobStore> blobs_;
  std::unique_ptr<auth::Keyring> keyring_;
  std::unique_ptr<auth::KeyCache> keys_;
  std::unique_ptr<auth::TokenService> tokens_;
  std::unique_ptr<core::ControlPlane> control_;
  std::unique_ptr<core::Packages> packages_;
  events::Registry registry_;
  std::unique_ptr<core::PullThroughServices> pull_;
  std::unique_ptr<NpmFormat> npm_;
  std::unique_ptr<PackageEndpoints> endpoints_;  // make_endpoints()
  std::string token_;
};

}  // namespace arca::formats::npm::testing
