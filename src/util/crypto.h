#pragma once
// Hashes, HMAC, encodings and randomness on OpenSSL 3. Thread-safe: no shared state.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace arca::crypto {

enum class Algo { kMd5, kSha1, kSha256, kSha512 };

// Incremental digest. Move-only; owns its EVP_MD_CTX.
class Hasher {
 public:
  explicit Hasher(Algo algo);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view data);
  // Raw digest bytes; the hasher must not be updated afterwards.
  std::string finish();
  std::string finish_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string digest(Algo algo, std::string_view data);      // raw bytes
std::string digest_hex(Algo algo, std::string_view data);  // lowercase hex
inline std::string sha256_hex(std::string_view data) { return digest_hex(Algo::kSha256, data); }

std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
bool constant_time_equal(std::string_view a, std::string_view b);

std::string to_hex(std::string_view raw);
bool from_hex(std::string_view hex, std::string& out);
std::string base64_encode(std::string_view raw);
bool base64_decode(std::string_view text, std::string& out);  // accepts padding or none
std::string base64url_encode(std::string_view raw);           // no padding
bool base64url_decode(std::string_view text, std::string& out);

std::string random_bytes(size_t n);  // CSPRNG; aborts if the RNG fails
std::string uuid_v4();

// AES-256-GCM with a 32-byte key. seal() returns nonce|ciphertext|tag; open() returns false on a
// wrong key or tampered input.
std::string aes_gcm_seal(std::string_view key, std::string_view plaintext);
bool aes_gcm_open(std::string_view key, std::string_view sealed, std::string& plaintext);

}  // namespace arca::crypto
