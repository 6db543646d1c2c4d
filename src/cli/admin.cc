// Offline administration of a data dir: `arca account ...`, `arca access-key ...`.
#include <cstdio>
#include <iostream>

#include "auth/access_keys.h"
#include "auth/keyring.h"
#include "cli/commands.h"
#include "config/config.h"
#include "server/app.h"

namespace arca::cli {

int fail(const Error& e) {
  std::fprintf(stderr, "arca: %s\n", e.message.c_str());
  return 1;
}

namespace {

struct DirFlags {
  std::string config_file, data_dir;
};

void add_dir_flags(CLI::App* cmd, DirFlags& f) {
  cmd->add_option("--config", f.config_file, "TOML configuration file (for its data_dir)");
  cmd->add_option("--data-dir", f.data_dir, "Data directory (default ./arca-data)");
}

// The data dir, its store and its keyring, opened without a server.
struct Offline {
  std::unique_ptr<store::MetadataStore> store;
  std::unique_ptr<auth::Keyring> keyring;
};

Result<Offline> open_offline(const DirFlags& f) {
  ARCA_ASSIGN_OR_RETURN(config::Config cfg, config::load(f.config_file));
  server::DataDir dir{f.data_dir.empty() ? cfg.data_dir : f.data_dir};
  Offline o;
  ARCA_ASSIGN_OR_RETURN(o.store, server::open_metadata_store(dir));
  ARCA_ASSIGN_OR_RETURN(auto keyring, auth::Keyring::load_or_create(dir.root));
  o.keyring = std::make_unique<auth::Keyring>(std::move(keyring));
  return o;
}

}  // namespace

void add_account_commands(CLI::App& app, int& exit_code) {
  CLI::App* account = app.add_subcommand("account", "Manage accounts in a data dir");
  account->require_subcommand(1);
  auto flags = std::make_shared<DirFlags>();
  auto name = std::make_shared<std::string>("account");
  CLI::App* create = account->add_subcommand("create", "Create an account; prints its id");
  add_dir_flags(create, *flags);
  create->add_option("--name", *name, "Account name");
  create->callback([flags, name, &exit_code] {
    auto o = open_offline(*flags);
    if (!o) return void(exit_code = fail(o.error()));
    auto acct = auth::create_account(*o->store, *name);
    if (!acct) return void(exit_code = fail(acct.error()));
    std::printf("%s\n", acct->id.c_str());
  });
  CLI::App* list = account->add_subcommand("list", "List accounts");
  add_dir_flags(list, *flags);
  list->callback([flags, &exit_code] {
    auto o = open_offline(*flags);
    if (!o) return void(exit_code = fail(o.error()));
    auto all = o->store->list_accounts();
    if (!all) return void(exit_code = fail(all.error()));
    for (const auto& a : *all) std::printf("%s %s\n", a.id.c_str(), a.name.c_str());
  });
}

void add_access_key_commands(CLI::App& app, int& exit_code) {
  CLI::App* keys = app.add_subcommand("access-key", "Manage access keys in a data dir");
  keys->require_subcommand(1);
  auto flags = std::make_shared<DirFlags>();
  auto account = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>("admin");
  auto key_id = std::make_shared<std::string>();

  CLI::App* create = keys->add_subcommand(
      "create", "Create an access key; prints it in AWS shared-credentials form");
  add_dir_flags(create, *flags);
  create->add_option("--account", *account, "Account id (12 digits)")->required();
  create->add_option("--user", *user, "User name within the account");
  create->callback([flags, account, user, &exit_code] {
    auto o = open_offline(*flags);
    if (!o) return void(exit_code = fail(o.error()));
    auto k = auth::create_access_key(*o->store, *o->keyring, *account, *user);
    if (!k) return void(exit_code = fail(k.error()));
    std::printf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
                k->key.id.c_str(), k->secret.c_str());
  });

  CLI::App* list = keys->add_subcommand("list", "List access keys: KEYID ACCOUNT USER");
  add_dir_flags(list, *flags);
  list->add_option("--account", *account, "Only this account's keys");
  list->callback([flags, account, &exit_code] {
    auto o = open_offline(*flags);
    if (!o) return void(exit_code = fail(o.error()));
    auto all = o->store->list_access_keys(*account);
    if (!all) return void(exit_code = fail(all.error()));
    for (const auto& k : *all)
      std::printf("%s %s %s\n", k.id.c_str(), k.account_id.c_str(), k.user_name.c_str());
  });

  CLI::App* del = keys->add_subcommand("delete", "Delete an access key (its tokens die too)");
  add_dir_flags(del, *flags);
  del->add_option("key_id", *key_id, "Access key id")->required();
  del->callback([flags, key_id, &exit_code] {
    auto o = open_offline(*flags);
    if (!o) return void(exit_code = fail(o.error()));
    if (auto st = o->store->delete_access_key(*key_id); !st) exit_code = fail(st.error());
  });
}

}  // namespace arca::cli
