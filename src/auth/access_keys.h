#pragma once
// Creation of accounts and access keys, and the first-start bootstrap of an administrator.
//
// Thread safety: free functions without shared state; they call the store, so they block and
// belong on the blocking pool. Errors: those of the store (kNotFound for a missing account,
// kUnavailable for I/O), plus kUnavailable for credential-file I/O in bootstrap_if_empty.
#include <string>

#include "auth/keyring.h"
#include "store/metadata_store.h"
#include "store/types.h"
#include "util/error.h"

namespace arca::auth {

struct NewAccessKey {
  store::AccessKey key;  // as stored: secret_sealed holds keyring.seal(secret)
  std::string secret;    // shown once to the caller, never stored in clear
};

// Creates an access key for `user_name` in `account_id`: id "AKIA" + 16 chars of [A-Z2-7],
// secret 40 chars of [A-Za-z0-9+/]. Retries on an id collision.
Result<NewAccessKey> create_access_key(store::MetadataStore& store, const Keyring& keyring,
                                       const std::string& account_id, const std::string& user_name);

// Creates an account with a random 12-digit id (first digit non-zero). Retries on collision.
Result<store::Account> create_account(store::MetadataStore& store, const std::string& name);

struct BootstrapResult {
  bool created = false;
  std::string credentials_path;  // DATA/admin.credentials when created
};

// On a store without accounts: creates account "admin", an access key for user "admin", and
// writes DATA/admin.credentials (mode 0600, atomically) in AWS shared-credentials form
// ([default] aws_access_key_id / aws_secret_access_key). Otherwise does nothing.
Result<BootstrapResult> bootstrap_if_empty(store::MetadataStore& store, const Keyring& keyring,
                                           const std::string& data_dir);

}  // namespace arca::auth
