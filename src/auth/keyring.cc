#include "auth/keyring.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "auth/secure_file.h"
#include "util/crypto.h"

namespace arca::auth {
namespace {

constexpr size_t kMasterKeySize = 32;
constexpr char kMasterKeyFile[] = "master.key";

Result<std::string> read_master_key(const std::string& path) {
  ARCA_ASSIGN_OR_RETURN(std::string key, read_small_file(path));
  if (key.size() != kMasterKeySize)
    return internal_error(path + " is corrupt: expected " + std::to_string(kMasterKeySize) +
                          " bytes, found " + std::to_string(key.size()));
  return key;
}

}  // namespace

Keyring::Keyring(std::string master)
    : seal_key_(crypto::hmac_sha256(master, "arca-seal-v1")),
      token_key_(crypto::hmac_sha256(master, "arca-token-v1")) {}

Keyring Keyring::from_key(std::string key32) {
  if (key32.size() != kMasterKeySize) std::abort();
  return Keyring(std::move(key32));
}

Result<Keyring> Keyring::load_or_create(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return unavailable("cannot create data directory " + data_dir + ": " + ec.message());
  const std::string path = data_dir + "/" + kMasterKeyFile;

  auto existing = read_master_key(path);
  if (existing) return Keyring(std::move(*existing));
  if (existing.error().code != Code::kNotFound) return existing.error();

  auto written = write_file_atomic(path, crypto::random_bytes(kMasterKeySize), 0600, false);
  if (!written && written.error().code != Code::kAlreadyExists) return written.error();
  // Read back rather than trusting our bytes: a concurrent creator may have won the race.
  ARCA_ASSIGN_OR_RETURN(std::string key, read_master_key(path));
  return Keyring(std::move(key));
}

std::string Keyring::seal(std::string_view plaintext) const {
  return crypto::base64url_encode(crypto::aes_gcm_seal(seal_key_, plaintext));
}

Result<std::string> Keyring::open(std::string_view sealed) const {
  std::string raw, plain;
  if (!crypto::base64url_decode(sealed, raw) || !crypto::aes_gcm_open(seal_key_, raw, plain))
    return internal_error("sealed secret cannot be opened: wrong master key or corrupt data");
  return plain;
}

}  // namespace arca::auth
