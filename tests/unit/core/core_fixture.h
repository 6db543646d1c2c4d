#pragma once
// A control plane and package service over a temp SQLite store and filesystem blob store, with
// domain `dom` made by caller_: the base of the core unit tests' fixtures.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "auth/key_cache.h"
#include "auth/keyring.h"
#include "auth/token.h"
#include "blob/fs/fs_blob_store.h"
#include "config/config.h"
#include "core/control_plane.h"
#include "core/packages.h"
#include "store/sqlite/sqlite_metadata_store.h"

namespace arca::core::testing {

class CoreFixture : public ::testing::Test {
 protected:
  // Set config_ before calling: the control plane keeps a reference to it.
  void set_up(const char* name) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(name) + "_XXXXXX"));
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = std::move(store::SqliteMetadataStore::open((dir_ / "arca.db").string()).value());
    blobs_ = std::move(blob::FsBlobStore::open((dir_ / "blobs").string()).value());
    keyring_ = std::make_unique<auth::Keyring>(auth::Keyring::from_key(std::string(32, 'k')));
    keys_ = std::make_unique<auth::KeyCache>(*store_, *keyring_);
    tokens_ = std::make_unique<auth::TokenService>(*keyring_, *keys_);
    control_ = std::make_unique<ControlPlane>(*store_, config_, *tokens_);
    packages_ = std::make_unique<Packages>(*store_, *blobs_, *control_);
    ASSERT_TRUE(control_->create_domain(caller_, "dom", "", {}));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  store::RepositoryRef repo(const char* name = "repo") { return {caller_.account_id, "dom", name}; }

  // A committed blob holding `bytes`, as the asset "pkg.tgz".
  store::Asset put_blob(const std::string& bytes) {
    auto w = std::move(packages_->begin_blob().value());
    EXPECT_TRUE(w->write(bytes));
    auto info = w->commit().value();
    return store::Asset{"pkg.tgz", info.sha256, info.size, info.md5, info.sha1, info.sha512};
  }

  std::filesystem::path dir_;
  config::Config config_;
  auth::Principal caller_{"111122223333", "admin", "AKIAEXAMPLE"};
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<blob::FsBlobStore> blobs_;
  std::unique_ptr<auth::Keyring> keyring_;
  std::unique_ptr<auth::KeyCache> keys_;
  std::unique_ptr<auth::TokenService> tokens_;
  std::unique_ptr<ControlPlane> control_;
  std::unique_ptr<Packages> packages_;
};

}  // namespace arca::core::testing
