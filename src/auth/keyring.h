#pragma once
// Keyring: the server's master secret and the keys derived from it.
//
// The master key is 32 random bytes in DATA/master.key (mode 0600). It seals access-key secrets
// at rest (AES-256-GCM) and keys the MAC of authorization tokens, so tokens stay valid across
// restarts and across nodes that share the data directory's key. Losing the file invalidates
// every stored access key and token.
//
// Thread safety: immutable after construction; every method may be called concurrently.
#include <string>
#include <string_view>

#include "util/error.h"

namespace arca::auth {

class Keyring {
 public:
  // Reads DATA/master.key, or creates it (random, mode 0600, atomically: temporary file, fsync,
  // then moved into place without replacing a key another process created first). Creates the
  // data directory if missing. Errors: kUnavailable on I/O failure; kInternal if the file exists
  // but is not exactly 32 bytes.
  static Result<Keyring> load_or_create(const std::string& data_dir);

  // A keyring over a given master key (tests, tools). `key32` must be 32 bytes; aborts otherwise.
  static Keyring from_key(std::string key32);

  // Encrypts and authenticates (AES-256-GCM). The output is text (base64url of
  // nonce | ciphertext | tag), safe for TEXT columns of any store.
  std::string seal(std::string_view plaintext) const;
  // Reverses seal(). kInternal if `sealed` was not produced by this master key or was altered.
  Result<std::string> open(std::string_view sealed) const;

  // HMAC key for authorization tokens: HMAC-SHA256(master, "arca-token-v1").
  const std::string& token_key() const { return token_key_; }

 private:
  explicit Keyring(std::string master);

  std::string seal_key_;   // HMAC-SHA256(master, "arca-seal-v1")
  std::string token_key_;  // HMAC-SHA256(master, "arca-token-v1")
};

}  // namespace arca::auth
