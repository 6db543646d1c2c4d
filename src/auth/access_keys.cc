#include "auth/access_keys.h"

#include <chrono>
#include <cstdint>

#include "auth/secure_file.h"
#include "util/crypto.h"

namespace arca::auth {
namespace {

constexpr int kMaxAttempts = 8;

store::Timestamp now_timestamp() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return double(ms.count()) / 1000.0;
}

// 10 random bytes -> 16 base32 characters [A-Z2-7].
std::string random_key_id() {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string raw = crypto::random_bytes(10);
  std::string out = "AKIA";
  for (size_t i = 0; i < raw.size(); i += 5) {
    uint64_t v = 0;
    for (size_t j = 0; j < 5; ++j) v = (v << 8) | uint8_t(raw[i + j]);
    for (int shift = 35; shift >= 0; shift -= 5) out += kBase32[(v >> shift) & 31];
  }
  return out;
}

// 30 random bytes -> 40 base64 characters [A-Za-z0-9+/], no padding.
std::string random_secret() { return crypto::base64_encode(crypto::random_bytes(30)); }

std::string random_account_id() {
  std::string raw = crypto::random_bytes(12);
  std::string id;
  for (size_t i = 0; i < raw.size(); ++i) {
    // 256 % 9 and 256 % 10 bias is negligible for an identifier that is not a secret.
    id += i == 0 ? char('1' + uint8_t(raw[i]) % 9) : char('0' + uint8_t(raw[i]) % 10);
  }
  return id;
}

std::string credentials_text(const store::Account& account, const NewAccessKey& key) {
  return "# Arca administrator credentials for account " + account.id + " (" + account.name +
         ")\n[default]\naws_access_key_id = " + key.key.id +
         "\naws_secret_access_key = " + key.secret + "\n";
}

}  // namespace

Result<NewAccessKey> create_access_key(store::MetadataStore& store, const Keyring& keyring,
                                       const std::string& account_id,
                                       const std::string& user_name) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    NewAccessKey out;
    out.secret = random_secret();
    out.key.id = random_key_id();
    out.key.account_id = account_id;
    out.key.user_name = user_name;
    out.key.secret_sealed = keyring.seal(out.secret);
    out.key.created_time = now_timestamp();
    auto st = store.create_access_key(out.key);
    if (st) return out;
    if (st.error().code != Code::kAlreadyExists) return st.error();
  }
  return internal_error("could not find a free access key id");
}

Result<store::Account> create_account(store::MetadataStore& store, const std::string& name) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    store::Account account{random_account_id(), name, now_timestamp()};
    auto st = store.create_account(account);
    if (st) return account;
    if (st.error().code != Code::kAlreadyExists) return st.error();
  }
  return internal_error("could not find a free account id");
}

Result<BootstrapResult> bootstrap_if_empty(store::MetadataStore& store, const Keyring& keyring,
                                           const std::string& data_dir) {
  ARCA_ASSIGN_OR_RETURN(auto accounts, store.list_accounts());
  if (!accounts.empty()) return BootstrapResult{};
  ARCA_ASSIGN_OR_RETURN(store::Account account, create_account(store, "admin"));
  ARCA_ASSIGN_OR_RETURN(NewAccessKey key, create_access_key(store, keyring, account.id, "admin"));
  BootstrapResult out{true, data_dir + "/admin.credentials"};
  ARCA_TRY(write_file_atomic(out.credentials_path, credentials_text(account, key), 0600, true));
  return out;
}

}  // namespace arca::auth
